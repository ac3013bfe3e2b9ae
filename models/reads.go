package models

// Reads names the reads of one subscriber's data a response is about to
// make, each as the store method that makes it, so that a store can make
// them together, ahead of their callers (one round trip on PostgreSQL).
type Reads struct {
	SubscriberID string
	// SubscriberWithKey, FeeIssues, ActiveHolds, AllHoldings and Consents
	// are the store's reads of those names.
	SubscriberWithKey, FeeIssues, ActiveHolds, AllHoldings, Consents bool
	// Records are pages of ListRecords (their SubscriberID is this one).
	Records []RecordPage
	// Requests are pages of ListSubscriberRequests.
	Requests []RequestPage
}

// RequestPage is a page of a subscriber's requests, newest first: up to
// Limit after After (nil for the first page).
type RequestPage struct {
	After *RequestKey
	Limit int
}
