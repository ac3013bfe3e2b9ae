package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	"github.com/xroshot/portal/models"
)

// markerPrefix starts every pseudonymous marker, so a reader of the trail
// tells a marker from an id.
const markerPrefix = "anon-"

// AuditMarker returns the pseudonymous marker the audit trail names the
// subscriber by, creating it on first use, in one statement. The marker is
// random and its link to the subscriber lives only in subscriber_markers,
// which goes with the subscriber row: once the subscriber is erased the
// trail's events about them name no one. An id with no subscriber row
// (staff, a job, an unknown id) is returned as it is: it names no data
// subject of the portal.
func (db *DB) AuditMarker(ctx context.Context, subscriberID string) (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	rows, err := db.q(ctx).Raw("INSERT INTO subscriber_markers (subscriber_id, marker)"+
		" SELECT id, ? FROM subscribers WHERE id = ?"+
		" ON CONFLICT (subscriber_id) DO UPDATE SET marker = subscriber_markers.marker RETURNING marker",
		markerPrefix+hex.EncodeToString(b), subscriberID).Rows()
	if err != nil {
		return "", translate(err)
	}
	defer rows.Close()
	marker := subscriberID
	if rows.Next() {
		if err := rows.Scan(&marker); err != nil {
			return "", translate(err)
		}
	}
	return marker, translate(rows.Err())
}

// unmarkAudit shows the events of a page with the ids of the subscribers
// their markers stand for, while those subscribers exist; a marker of an
// erased subscriber stays as it is. Only the copies returned change: the
// stored events, which the chain's hashes cover, keep the markers.
func (db *DB) unmarkAudit(ctx context.Context, rows []*models.AuditEvent) error {
	set := map[string]bool{}
	for _, e := range rows {
		for _, p := range []*string{e.SubjectID, &e.TargetID, &e.ActorID, e.ActingFor} {
			if p != nil && len(*p) > len(markerPrefix) && (*p)[:len(markerPrefix)] == markerPrefix {
				set[*p] = true
			}
		}
	}
	if len(set) == 0 {
		return nil
	}
	markers := make([]string, 0, len(set))
	for m := range set {
		markers = append(markers, m)
	}
	var links []struct{ SubscriberID, Marker string }
	if err := db.q(ctx).Raw("SELECT subscriber_id, marker FROM subscriber_markers WHERE marker IN ?", markers).Scan(&links).Error; err != nil {
		return translate(err)
	}
	ids := make(map[string]string, len(links))
	for _, l := range links {
		ids[l.Marker] = l.SubscriberID
	}
	for _, e := range rows {
		for _, p := range []*string{e.SubjectID, &e.TargetID, &e.ActorID, e.ActingFor} {
			if p != nil {
				if id, ok := ids[*p]; ok {
					*p = id
				}
			}
		}
	}
	return nil
}
