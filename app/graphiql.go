package app

import (
	"time"

	"github.com/xroshot/portal/demo"
	"github.com/xroshot/portal/httpapi"
)

// graphiqlDefaults prefills the development explorer with a fresh token of
// the demo's active subscriber and Korean answers, so a first query needs
// no copying from the log. Production has no explorer.
func (a *App) graphiqlDefaults() httpapi.GraphiQLDefaults {
	if !a.Config.Development() {
		return httpapi.GraphiQLDefaults{}
	}
	return httpapi.GraphiQLDefaults{Headers: func() map[string]string {
		h := map[string]string{"Accept-Language": "ko"}
		m := a.Minter()
		m.Now = a.Clock.Now // the verifier's clock
		if len(m.Secret) == 0 {
			return h // tokens come from an identity provider (JWKS or a public key)
		}
		p := demo.Personas[0]
		if tok, err := m.Mint(p.Subject, p.Roles, p.Actor, 24*time.Hour); err == nil {
			h["Authorization"] = "Bearer " + tok
		}
		return h
	}}
}
