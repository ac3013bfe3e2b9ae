package resolvers

import (
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/transmit"
)

func fileTransmission(in models.FileTransmissionInput) transmit.FileInput {
	f := transmit.FileInput{Destination: in.Destination, Schedule: in.Schedule, StartsAt: in.StartsAt, Until: in.Until, ExpiresAt: in.ExpiresAt, IdempotencyKey: in.IdempotencyKey}
	if in.RecipientID != nil {
		f.RecipientID = *in.RecipientID
	}
	if in.Scope != nil {
		f.Categories, f.RecordKinds = in.Scope.Categories, in.Scope.RecordKinds
	}
	return f
}

func recipientInput(in models.TransmissionRecipientInput) transmit.RecipientInput {
	r := transmit.RecipientInput{Name: in.Name, Endpoint: in.Endpoint, Categories: in.Categories}
	if in.Secret != nil {
		r.Secret = *in.Secret
	}
	return r
}
