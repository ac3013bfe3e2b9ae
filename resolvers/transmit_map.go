package resolvers

import (
	"context"

	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/transmit"
)

// transmitActor is the subscriber of the token, and the guardian acting for
// them, if any.
func transmitActor(ctx context.Context) (transmit.Actor, error) {
	p, err := principal(ctx)
	if err != nil {
		return transmit.Actor{}, err
	}
	return transmit.Actor{Subject: p.Subject, Guardian: p.Actor}, nil
}

// transmitStaff is the staff member of the token.
func transmitStaff(ctx context.Context) (transmit.Staff, error) {
	p, err := principal(ctx)
	if err != nil {
		return transmit.Staff{}, err
	}
	return transmit.Staff{ID: p.Subject, Admin: p.Has(auth.RoleAdmin), Agent: p.Has(auth.RoleAgent)}, nil
}

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
