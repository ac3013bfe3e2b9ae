package apitest_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/xroshot/portal/apitest"
	"github.com/xroshot/portal/auth"
)

// A recipient's verification secret goes through the rule the JWT secret
// does (issue 15): a guessable key is refused as BAD_USER_INPUT on
// input.secret, on admission and on a change of secret; a random one is
// admitted.
func TestWeakRecipientSecretsAreRefused(t *testing.T) {
	bothStores(t, func(t *testing.T, env *apitest.Env) {
		admin := env.Token(t, "admin-1", "", auth.RoleAdmin)
		rc := newRecipient(t, env.Clock, always(http.StatusOK))
		whsec := func(key []byte) string { return "whsec_" + base64.StdEncoding.EncodeToString(key) }
		weak := map[string]string{
			"24 zero bytes":           whsec(make([]byte, 24)),
			"one repeated letter":     whsec([]byte(strings.Repeat("a", 32))),
			"a repeated short word":   whsec([]byte(strings.Repeat("abc", 12))),
			"16 bytes, under the 24":  whsec([]byte("0123456789abcdef")),
			"not the standard form":   strings.Repeat("x", 40),
			"the prefix and no key":   "whsec_",
			"not base64 after prefix": "whsec_not base64!",
		}
		for name, secret := range weak {
			t.Run(name, func(t *testing.T) {
				in := map[string]any{"name": "수신자", "endpoint": rc.srv.URL + "/inbox", "secret": secret, "categories": []string{"applicant.name"}}
				res := env.Query(t, admin, createRecipientMut, map[string]any{"in": in})
				wantCode(t, res, "BAD_USER_INPUT", "input.secret")
				if strings.Contains(res.Errors[0].Message, secret) && secret != "whsec_" {
					t.Errorf("the refusal repeats the secret: %q", res.Errors[0].Message)
				}
			})
		}
		// A random key is admitted; changing it to a weak one is refused.
		rid := admitRecipient(t, env, rc, "수신자", "applicant.name")
		upd := `mutation($id: ID!, $in: TransmissionRecipientInput!) { updateTransmissionRecipient(id: $id, input: $in) { id } }`
		in := map[string]any{"name": "수신자", "endpoint": rc.srv.URL + "/inbox", "secret": weak["24 zero bytes"], "categories": []string{"applicant.name"}}
		wantCode(t, env.Query(t, admin, upd, map[string]any{"id": rid, "in": in}), "BAD_USER_INPUT", "input.secret")
	})
}
