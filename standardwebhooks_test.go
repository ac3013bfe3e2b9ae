package main

import (
	"encoding/base64"
	"net/http"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// verifyStandard checks a webhook request as the gateway does, with the
// official Standard Webhooks library and the "whsec_" form of secret.
func verifyStandard(secret string, h http.Header, body []byte) error {
	wh, err := standardwebhooks.NewWebhook("whsec_" + base64.StdEncoding.EncodeToString([]byte(secret)))
	if err != nil {
		return err
	}
	return wh.Verify(body, h)
}
