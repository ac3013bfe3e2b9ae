// Package notify delivers the outbox to the operator's messaging gateway: the
// notices the portal owes subscribers (the result of a consent change within
// 14 days, marketing reconfirmations, request status changes) are written to
// the outbox in the transaction of the change they report, and a Deliverer
// posts each one to a configured webhook, from which the operator's SMS and
// e-mail gateway tells the subscriber.
//
// # Guarantees
//
// Delivery is at least once. A message is done only when the gateway answered
// 2xx; anything else — another status, a redirect (never followed), a
// timeout, a refused connection, a crash of the deliverer — leads to another
// attempt, after a delay growing exponentially with jitter (by default 30s,
// 1m, 2m, … capped at 1h), until the message has had MaxAttempts attempts
// (by default 20, about 14 hours of trying); the deliverer then marks it
// dead. Dead messages are kept, listed for admins (Outbox.Dead) and sent
// again only by an explicit Outbox.Requeue. Every attempt is recorded in
// outbox_deliveries: when, which attempt, the gateway's status or the
// transport error, how long it took and what was decided; never the payload
// or the gateway's body. Delivery and giving up are also audit events
// (ActionDelivered, ActionDead), by the actor audit.System(ctx, "notify").
//
// # How
//
// A pass claims due messages in batches of BatchSize, in one short
// transaction per batch: on PostgreSQL the due rows are selected FOR UPDATE
// SKIP LOCKED, so deliverers on several replicas never claim the same row;
// on SQLite the single writer serialises claims. A claim counts the attempt
// and leases the message until the attempt must be over (Lease), under a
// fresh claim token. The posts then run outside any transaction, at most
// Concurrency at a time, each bounded by Timeout, so a slow or unreachable
// gateway holds no lock and no connection, and blocks nothing else. Each
// outcome is written in a short transaction of its own, guarded by the claim
// token: a deliverer whose lease ran out cannot overwrite the outcome of the
// one that took the message over (a 2xx is always recorded: delivered is the
// truth whoever learnt it). A deliverer that dies mid-batch leaves its
// unacknowledged messages leased; when the lease ends they are due again and
// the next pass, on any replica, posts them again. Memory stays flat: one
// batch at a time.
//
// # The webhook contract
//
// Requests follow the Standard Webhooks specification
// (https://www.standardwebhooks.com), so the gateway can verify them with a
// stock library in any language. Each attempt is one request:
//
//	POST <PORTAL_WEBHOOK_URL>
//	Content-Type: application/json
//	webhook-id: 1234
//	webhook-timestamp: 1767225600
//	webhook-signature: v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=
//	X-Portal-Attempt: 1
//
//	{"id":"1234","kind":"CONSENT_RESULT","subscriberId":"…",
//	 "createdAt":"2026-01-01T00:00:00Z","dueBy":"2026-01-15T00:00:00Z",
//	 "message":{…}}
//
// webhook-id is the outbox row's id, the same on every attempt: the gateway
// de-duplicates on it. webhook-timestamp is the Unix time in seconds at
// which this attempt was signed. webhook-signature is "v1," and the base64
// HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<raw body>" keyed with
// the secret (a list separated by spaces, should the key ever be rotated
// with two in use). X-Portal-Attempt counts from 1 and is informational,
// outside the signature. The body (Envelope) is the same bytes on every
// attempt: id, kind (CONSENT_RESULT, MARKETING_RECONFIRMATION,
// REQUEST_STATUS, …), subscriberId, when the message was written, the latest
// time the law allows for telling the subscriber, and message, the notice
// exactly as the portal wrote it (its shape depends on kind). Nothing beyond
// what the outbox row holds is sent.
//
// The secret (PORTAL_WEBHOOK_SECRET) is best given in the standard form,
// "whsec_" and the base64 of 32 or more random bytes, and handed to the
// gateway's verifier as is. A secret without the prefix is taken as the
// key's bytes, as before; its standard form is EncodeSecret(key).
//
// The gateway verifies every request before acting on it:
//
//  1. Read the raw body bytes, before any JSON parsing.
//  2. Verify with a Standard Webhooks library (in Go,
//     github.com/standard-webhooks/standard-webhooks/libraries/go:
//     NewWebhook(secret).Verify(body, header)); it checks the signature in
//     constant time and refuses a timestamp more than five minutes from the
//     gateway's clock, so a captured request cannot be replayed later.
//     Reject a failure with 401.
//  3. De-duplicate on webhook-id: the same message may arrive more than
//     once (a retry after a lost answer, a replica taking over a stalled
//     attempt). Answer 2xx to a duplicate without sending it again.
//  4. Answer 2xx only once the message is durably accepted; answer within
//     the portal's timeout (10s by default). Any other answer means "try
//     again later"; 429 and 503 may carry Retry-After (seconds), which
//     lengthens the next delay up to the cap.
//
// # Legacy headers
//
// With Config.LegacyHeaders (PORTAL_WEBHOOK_LEGACY_HEADERS=true) each
// request also carries the portal's earlier scheme, for a gateway not yet
// moved over: X-Portal-Message-Id (= webhook-id), X-Portal-Timestamp (=
// webhook-timestamp) and X-Portal-Signature, "sha256=" and the lowercase hex
// HMAC-SHA256 of "<timestamp>.<raw body>"; Verify checks them. The switch
// is off by default and meant to be turned off once the gateway verifies
// the standard headers.
package notify
