package app

import (
	"strings"
	"testing"
	"time"

	"github.com/xroshot/portal/protect"
)

// Every duration setting takes the same spellings: Go durations, with zero
// written any way ("0", "0s", "0m") where the setting can be turned off,
// and refused the same way (naming the variable) where it cannot.
func TestDurationSettingsAreReadAlike(t *testing.T) {
	t.Parallel()
	settings := []struct {
		name     string
		got      func(Config) time.Duration
		canBeOff bool
		valid    string // a value within the setting's bounds
		want     time.Duration
	}{
		{"PORTAL_PURGE_INTERVAL", func(c Config) time.Duration { return c.PurgeInterval }, true, "90m", 90 * time.Minute},
		{"PORTAL_TRANSMIT_INTERVAL", func(c Config) time.Duration { return c.TransmitInterval }, true, "2m", 2 * time.Minute},
		{"PORTAL_NOTIFY_INTERVAL", func(c Config) time.Duration { return c.NotifyInterval }, false, "45s", 45 * time.Second},
		{"PORTAL_SHUTDOWN_GRACE", func(c Config) time.Duration { return c.ShutdownGrace }, false, "1m30s", 90 * time.Second},
		{"PORTAL_NOTICE_PROOF_WINDOW", func(c Config) time.Duration { return c.NoticeProofWindow }, false, "168h", 168 * time.Hour},
		{"PORTAL_DEAD_NOTICE_WINDOW", func(c Config) time.Duration { return c.DeadNoticeWindow }, false, "720h", 720 * time.Hour},
	}
	load := func(name, v string) (Config, error) {
		return LoadConfig(envOf(map[string]string{name: v}), protect.DevelopmentKey)
	}
	for _, s := range settings {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			for _, v := range []string{s.valid, " " + s.valid + " "} {
				c, err := load(s.name, v)
				if err != nil || s.got(c) != s.want {
					t.Errorf("%s=%q: got %s, %v; want %s", s.name, v, s.got(c), err, s.want)
				}
			}
			for _, zero := range []string{"0", "0s", "0m", "0h"} {
				c, err := load(s.name, zero)
				switch {
				case s.canBeOff && (err != nil || s.got(c) != 0):
					t.Errorf("%s=%q: got %s, %v; want it turned off", s.name, zero, s.got(c), err)
				case !s.canBeOff && (err == nil || !strings.Contains(err.Error(), s.name)):
					t.Errorf("%s=%q: error %v, want a refusal naming the variable", s.name, zero, err)
				}
			}
			for _, bad := range []string{"-1m", "soon", "10", "1 hour", "1d"} {
				if _, err := load(s.name, bad); err == nil || !strings.Contains(err.Error(), s.name) {
					t.Errorf("%s=%q: error %v, want a refusal naming the variable", s.name, bad, err)
				}
			}
		})
	}
}
