package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/xroshot/portal/app"
	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/demo"
)

// tokenCmd mints a development token with the configured HS256 secret. It
// refuses in production: there, tokens come from the operator's issuer.
func tokenCmd(cfg app.Config, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(out)
	subject := fs.String("subject", "", "the token's sub: a subscriber, staff or service id")
	roles := fs.String("roles", "", "comma-separated roles: subscriber, agent, admin, system")
	act := fs.String("act", "", "act.sub: the guardian acting for a minor subject")
	persona := fs.String("demo", "", "a demo persona: "+strings.Join(demo.PersonaNames(), ", "))
	ttl := fs.Duration("ttl", 12*time.Hour, "how long the token is valid")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !cfg.Development() {
		return errors.New("token: refused in production; tokens come from the operator's identity provider")
	}
	if cfg.JWTSecret == "" {
		return errors.New("token: needs an HS256 secret (PORTAL_JWT_SECRET); with a public key or JWKS the issuer mints tokens")
	}
	var (
		sub   = *subject
		rs    []auth.Role
		actor = *act
	)
	if *persona != "" {
		p, ok := demo.Persona(*persona)
		if !ok {
			return fmt.Errorf("token: unknown demo persona %q (%s)", *persona, strings.Join(demo.PersonaNames(), ", "))
		}
		sub, rs, actor = p.Subject, p.Roles, p.Actor
	} else {
		if sub == "" || *roles == "" {
			return errors.New("token: --subject and --roles are required (or --demo NAME)")
		}
		for _, r := range strings.Split(*roles, ",") {
			role, err := auth.ParseRole(strings.TrimSpace(r))
			if err != nil {
				return fmt.Errorf("token: %w", err)
			}
			rs = append(rs, role)
		}
	}
	if *ttl <= 0 || *ttl > 30*24*time.Hour {
		return errors.New("token: --ttl must be between 1s and 720h")
	}
	m := auth.Minter{Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience, Secret: []byte(cfg.JWTSecret)}
	tok, err := m.Mint(sub, rs, actor, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, tok)
	return nil
}
