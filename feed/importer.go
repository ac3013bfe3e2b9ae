package feed

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/audit"
)

// ImportLine is one line of an import file (JSON Lines): the schema's
// SubscriberInput (graph/feed.graphqls) plus the subscriber's records and, optionally, their
// billing state.
type ImportLine struct {
	ID           string       `json:"id"`
	Status       string       `json:"status"`
	SignedUpAt   time.Time    `json:"signedUpAt"`
	TerminatedAt *time.Time   `json:"terminatedAt"`
	BirthDate    *string      `json:"birthDate"`
	GuardianID   *string      `json:"guardianId"`
	Items        []ImportItem `json:"items"`
	Records      []ImportRec  `json:"records"`
	BillingState *string      `json:"billingState"`
	BillingSince *time.Time   `json:"billingSince"`
	_            struct{}     `json:"-"`
}

// ImportItem is a profile item in an import line.
type ImportItem struct {
	Category    string     `json:"category"`
	Value       string     `json:"value"`
	CollectedAt *time.Time `json:"collectedAt"`
	Source      string     `json:"source"`
}

// ImportRec is a record in an import line.
type ImportRec struct {
	Kind       string    `json:"kind"`
	OccurredAt time.Time `json:"occurredAt"`
	ExternalID string    `json:"externalId"`
	Summary    string    `json:"summary"`
}

// MaxRecordsPerLine bounds the records of one subscriber in one import line.
const MaxRecordsPerLine = 10_000

// ImportSubscriber writes one subscriber, their records and billing state in
// one transaction: a bad record leaves the subscriber as it was.
func (s *Service) ImportSubscriber(ctx context.Context, l ImportLine) (records int64, err error) {
	c, err := s.checkLine(l)
	if err != nil {
		return 0, err
	}
	sub, holdings, recs, billing := c.sub, c.holdings, c.recs, c.billing
	err = s.store.InTx(ctx, func(tx Store) error {
		if err := s.upsertTx(ctx, tx, sub, holdings); err != nil {
			return err
		}
		for start := 0; start < len(recs); start += MaxRecordsPerCall {
			n, err := s.appendTx(ctx, tx, l.ID, recs[start:min(start+MaxRecordsPerCall, len(recs))])
			if err != nil {
				return offsetField(err, start)
			}
			records += n
		}
		if billing != "" {
			if _, err := s.billingTx(ctx, tx, l.ID, billing, *l.BillingSince); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, audit.ActionFeedUpsertSub, l.ID, map[string]any{"items": len(holdings), "records": records, "via": "import"})
	})
	return records, err
}

// offsetField shifts "records[i]" in a bad-input error by the chunk start,
// so the reported index is the line's own.
func offsetField(err error, start int) error {
	var e *apperr.Error
	if start == 0 || !errors.As(err, &e) || !strings.HasPrefix(e.Field, "records[") {
		return err
	}
	var i int
	var rest string
	if n, _ := fmt.Sscanf(e.Field, "records[%d]%s", &i, &rest); n >= 1 {
		return apperr.BadInput(fmt.Sprintf("records[%d]%s", i+start, rest), "%s", e.Msg)
	}
	return err
}

// LineError is one import line that was not imported, and why. It never
// quotes the line's values.
type LineError struct {
	Line   int // the line's number in the file, from 1, blank lines counted
	Field  string
	Reason string
}

func (e LineError) String() string {
	if e.Field != "" {
		return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Reason)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
}

// ImportReport counts what an import did.
type ImportReport struct {
	Lines    int // subscriber lines read: blank lines are not counted
	Imported int
	Failed   int
	Records  int64
}

// ImportOptions tune an import.
type ImportOptions struct {
	// Workers import lines in parallel (default 4).
	Workers int
	// MaxLineBytes refuses longer lines (default 1 MiB) without reading
	// them into memory.
	MaxLineBytes int
	// OnError is told of every failed line, in no particular order.
	OnError func(LineError)
	// OnProgress is told after each line: bytes read so far, lines done.
	OnProgress func(bytesRead int64, r ImportReport)
}

// Import streams JSON Lines from r, one subscriber a line, importing each in
// its own transaction. Memory stays flat in the size of the input: lines are
// read one at a time and a handful are in flight. A bad line is reported and
// the rest go on; importing the same file twice changes nothing.
func (s *Service) Import(ctx context.Context, r io.Reader, opts ImportOptions) (ImportReport, error) {
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	if opts.MaxLineBytes <= 0 {
		opts.MaxLineBytes = 1 << 20
	}
	type job struct {
		n    int
		line []byte
		err  *LineError
	}
	jobs := make(chan job, opts.Workers*2)
	var (
		mu  sync.Mutex
		rep ImportReport
		cr  = &countingReader{r: r}
		wg  sync.WaitGroup
	)
	done := func(lineErr *LineError, records int64) {
		mu.Lock()
		defer mu.Unlock()
		if lineErr != nil {
			rep.Failed++
			if opts.OnError != nil {
				opts.OnError(*lineErr)
			}
		} else {
			rep.Imported++
			rep.Records += records
		}
		if opts.OnProgress != nil {
			opts.OnProgress(cr.n.Load(), rep)
		}
	}
	for w := 0; w < opts.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if j.err != nil {
					done(j.err, 0)
					continue
				}
				n, err := s.importLine(ctx, j.line)
				if err != nil {
					le := lineError(j.n, err)
					done(&le, 0)
					continue
				}
				done(nil, n)
			}
		}()
	}

	br := bufio.NewReaderSize(cr, 64<<10)
	var readErr error
	// n counts the subscriber lines, physical the file's lines: errors
	// name the line an editor shows, blank lines included.
	n, physical := 0, 0
	for readErr == nil {
		line, tooLong, err := readLine(br, opts.MaxLineBytes)
		if err == nil {
			physical++
		}
		if tooLong || len(bytes.TrimSpace(line)) > 0 {
			n++
			j := job{n: physical, line: line}
			if tooLong {
				j.line, j.err = nil, &LineError{Line: physical, Reason: fmt.Sprintf("line longer than %d bytes", opts.MaxLineBytes)}
			}
			select {
			case jobs <- j:
			case <-ctx.Done():
				readErr = ctx.Err()
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil && readErr == nil {
			readErr = err
		}
	}
	close(jobs)
	wg.Wait()
	rep.Lines = n
	return rep, readErr
}

func (s *Service) importLine(ctx context.Context, line []byte) (int64, error) {
	if !utf8.Valid(line) {
		// The JSON decoder would store U+FFFD in place of the broken bytes.
		return 0, apperr.BadInput("", "the line is not valid UTF-8")
	}
	var l ImportLine
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return 0, jsonError(err)
	}
	if dec.More() {
		return 0, apperr.BadInput("", "more than one JSON value on the line")
	}
	return s.ImportSubscriber(ctx, l)
}

// jsonError names the field a JSON error is about, without quoting values.
func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	var pe *time.ParseError
	switch {
	case errors.As(err, &te):
		return apperr.BadInput(te.Field, "must be a JSON %s", te.Type.Kind())
	case errors.As(err, &se):
		return apperr.BadInput("", "not valid JSON (at byte %d)", se.Offset)
	case errors.As(err, &pe):
		return apperr.BadInput("", "a date is not RFC 3339 (e.g. 2024-05-01T09:00:00+09:00)")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return apperr.BadInput(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "unknown field")
	}
	return apperr.BadInput("", "not a JSON object of the import shape")
}

func lineError(n int, err error) LineError {
	var e *apperr.Error
	if errors.As(err, &e) {
		return LineError{Line: n, Field: e.Field, Reason: e.Msg}
	}
	code, public := apperr.CodeOf(err)
	if public {
		return LineError{Line: n, Reason: apperr.Message(err)}
	}
	return LineError{Line: n, Reason: fmt.Sprintf("%s: %v", code, err)}
}

// readLine reads one line of at most max bytes. A longer line is consumed
// and discarded, reported as tooLong, so a 10 MB line costs no 10 MB.
func readLine(br *bufio.Reader, max int) (line []byte, tooLong bool, err error) {
	var buf []byte
	for {
		chunk, isPrefix, e := br.ReadLine()
		if !tooLong {
			if len(buf)+len(chunk) > max {
				tooLong, buf = true, nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		if e != nil {
			return buf, tooLong, e
		}
		if !isPrefix {
			return buf, tooLong, nil
		}
	}
}

type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
