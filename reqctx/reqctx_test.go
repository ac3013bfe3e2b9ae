package reqctx_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/reqctx"
)

type readKey struct{ id string }

func TestMemoReadsOncePerResponse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		memo      bool
		wantReads int64
	}{
		{name: "a response with a memo reads once", memo: true, wantReads: 1},
		{name: "without a memo every caller reads", memo: false, wantReads: 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			if tc.memo {
				ctx = reqctx.WithMemo(ctx)
			}
			var reads atomic.Int64
			release := make(chan struct{})
			var wg sync.WaitGroup
			got := make([][]string, 8)
			for i := range got {
				wg.Go(func() {
					v, err := reqctx.Memo(ctx, readKey{"s-1"}, func() ([]string, error) {
						reads.Add(1)
						<-release
						return []string{"marketing.sms"}, nil
					})
					if err != nil {
						t.Error(err)
					}
					got[i] = v
				})
			}
			close(release)
			wg.Wait()
			if n := reads.Load(); n != tc.wantReads {
				t.Errorf("reads = %d, want %d", n, tc.wantReads)
			}
			for i, v := range got {
				if len(v) != 1 || v[0] != "marketing.sms" {
					t.Errorf("caller %d got %v", i, v)
				}
			}
		})
	}
}

func TestMemoKeepsKeysApartAndSharesErrors(t *testing.T) {
	t.Parallel()
	ctx := reqctx.WithMemo(context.Background())
	boom := errors.New("boom")
	if _, err := reqctx.Memo(ctx, readKey{"a"}, func() (int, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if _, err := reqctx.Memo(ctx, readKey{"a"}, func() (int, error) { return 1, nil }); !errors.Is(err, boom) {
		t.Errorf("second read of a: err = %v, want the first read's boom", err)
	}
	if v, err := reqctx.Memo(ctx, readKey{"b"}, func() (int, error) { return 2, nil }); err != nil || v != 2 {
		t.Errorf("b = %d, %v; want 2, nil", v, err)
	}
}

func TestMemoWaitersOfAPanickedReadGetAnError(t *testing.T) {
	t.Parallel()
	ctx := reqctx.WithMemo(context.Background())
	func() {
		defer func() { _ = recover() }()
		_, _ = reqctx.Memo(ctx, readKey{"p"}, func() ([]string, error) { panic("read failed") })
	}()
	v, err := reqctx.Memo(ctx, readKey{"p"}, func() ([]string, error) { return []string{"x"}, nil })
	if err == nil || v != nil {
		t.Errorf("after a panicked read: %v, %v; want an error, not an empty value", v, err)
	}
}

func TestAheadHandsEachValueToWhoWouldHaveReadIt(t *testing.T) {
	t.Parallel()
	ctx := reqctx.WithMemo(context.Background())
	var reads atomic.Int64
	readSelf := func(v string) func() (string, error) {
		return func() (string, error) { reads.Add(1); return v + " read by the caller", nil }
	}
	// A value a caller shares already is not read ahead again.
	if _, err := reqctx.Memo(ctx, readKey{"shared-before"}, readSelf("shared-before")); err != nil {
		t.Fatal(err)
	}
	var asked []any
	reqctx.Ahead(ctx, []any{readKey{"owned"}, readKey{"shared"}, readKey{"shared-before"}}, func(keys []any) ([]any, []error) {
		asked = keys
		vals := make([]any, len(keys))
		for i, k := range keys {
			vals[i] = k.(readKey).id + " read ahead"
		}
		return vals, make([]error, len(keys))
	})
	if diff := cmp.Diff([]any{readKey{"owned"}, readKey{"shared"}}, asked, cmp.AllowUnexported(readKey{})); diff != "" {
		t.Errorf("keys read ahead (-want +got):\n%s", diff)
	}
	reads.Store(0)
	tests := []struct {
		name string
		get  func() (string, error)
		want string
	}{
		{name: "the first owner gets the value read ahead", get: func() (string, error) { return reqctx.Once(ctx, readKey{"owned"}, readSelf("owned")) }, want: "owned read ahead"},
		{name: "a second owner reads for itself", get: func() (string, error) { return reqctx.Once(ctx, readKey{"owned"}, readSelf("owned")) }, want: "owned read by the caller"},
		{name: "sharers share the value read ahead", get: func() (string, error) { return reqctx.Memo(ctx, readKey{"shared"}, readSelf("shared")) }, want: "shared read ahead"},
		{name: "and so does the next sharer", get: func() (string, error) { return reqctx.Memo(ctx, readKey{"shared"}, readSelf("shared")) }, want: "shared read ahead"},
		{name: "an owner never takes a shared value", get: func() (string, error) { return reqctx.Once(ctx, readKey{"shared-before"}, readSelf("shared-before")) }, want: "shared-before read by the caller"},
		{name: "nothing read ahead: the owner reads", get: func() (string, error) { return reqctx.Once(ctx, readKey{"other"}, readSelf("other")) }, want: "other read by the caller"},
	}
	for _, tc := range tests { // in order: each case depends on the ones before
		got, err := tc.get()
		if err != nil || got != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
	if n := reads.Load(); n != 3 {
		t.Errorf("callers read %d times, want 3", n)
	}
}

func TestAheadCallersWaitForTheirReadAndGetItsError(t *testing.T) {
	t.Parallel()
	ctx := reqctx.WithMemo(context.Background())
	boom := errors.New("boom")
	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		reqctx.Ahead(ctx, []any{readKey{"a"}, readKey{"b"}}, func([]any) ([]any, []error) {
			close(started)
			<-release
			return []any{0, 2}, []error{boom, nil}
		})
	}()
	<-started
	var (
		wg     sync.WaitGroup
		a, b   int
		ea, eb error
	)
	wg.Go(func() {
		a, ea = reqctx.Once(ctx, readKey{"a"}, func() (int, error) { return 1, nil })
	})
	wg.Go(func() {
		b, eb = reqctx.Memo(ctx, readKey{"b"}, func() (int, error) { return 3, nil })
	})
	close(release)
	wg.Wait()
	<-done
	if !errors.Is(ea, boom) {
		t.Errorf("a: %d, %v; want its read's boom", a, ea)
	}
	if b != 2 || eb != nil {
		t.Errorf("b: %d, %v; want 2 read ahead", b, eb)
	}
}

func TestAheadWithoutAMemoReadsNothing(t *testing.T) {
	t.Parallel()
	reqctx.Ahead(context.Background(), []any{readKey{"a"}}, func([]any) ([]any, []error) {
		t.Error("read ahead for a response without a memo")
		return nil, nil
	})
}
