package reqctx_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

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
