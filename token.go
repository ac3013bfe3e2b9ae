package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/xroshot/portal/app"
	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/demo"
)

func tokenCommand() *cli.Command {
	return &cli.Command{
		Name:      "token",
		Usage:     "mint a development token (refused in production)",
		UsageText: "portal token --demo NAME\nportal token --subject ID --roles subscriber[,agent,…] [--act GUARDIAN_ID] [--ttl 12h]",
		Description: "Signs with the configured HS256 secret (PORTAL_JWT_SECRET, or the development fallback).\n" +
			"In production tokens come from the operator's identity provider.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "demo", Usage: "a demo persona: " + strings.Join(demo.PersonaNames(), ", ")},
			&cli.StringFlag{Name: "subject", Usage: "the token's sub: a subscriber, staff or service id"},
			&cli.StringFlag{Name: "roles", Usage: "comma-separated roles: subscriber, agent, admin, system"},
			&cli.StringFlag{Name: "act", Usage: "act.sub: the guardian acting for a minor subject"},
			&cli.DurationFlag{Name: "ttl", Value: 12 * time.Hour, Usage: "how long the token is valid (at most 720h)"},
		},
		Action: func(_ context.Context, cmd *cli.Command) error {
			if err := wantArgs(cmd, 0); err != nil {
				return err
			}
			o := tokenOptions{Demo: cmd.String("demo"), Subject: cmd.String("subject"), Roles: cmd.String("roles"), Act: cmd.String("act"), TTL: cmd.Duration("ttl")}
			if _, _, _, err := o.claims(); err != nil {
				return &usageError{cmd: cmd, err: err}
			}
			if o.TTL <= 0 || o.TTL > 30*24*time.Hour {
				return usageErrorf(cmd, "--ttl must be between 1s and 720h")
			}
			cfg, _, err := setup(cmd)
			if err != nil {
				return err
			}
			tok, err := mintToken(cfg, o)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.Root().Writer, tok)
			return nil
		},
	}
}

// tokenOptions are the token command's flags.
type tokenOptions struct {
	Demo, Subject, Roles, Act string
	TTL                       time.Duration
}

// claims is who the token names: a demo persona's, or the flags'.
func (o tokenOptions) claims() (sub string, roles []auth.Role, actor string, err error) {
	if o.Demo != "" {
		p, ok := demo.Persona(o.Demo)
		if !ok {
			return "", nil, "", fmt.Errorf("unknown demo persona %q (%s)", o.Demo, strings.Join(demo.PersonaNames(), ", "))
		}
		return p.Subject, p.Roles, p.Actor, nil
	}
	if o.Subject == "" || o.Roles == "" {
		return "", nil, "", errors.New("token needs --subject and --roles, or --demo NAME")
	}
	for _, r := range strings.Split(o.Roles, ",") {
		role, err := auth.ParseRole(strings.TrimSpace(r))
		if err != nil {
			return "", nil, "", err
		}
		roles = append(roles, role)
	}
	return o.Subject, roles, o.Act, nil
}

// mintToken mints a development token with the configured HS256 secret. It
// refuses in production: there, tokens come from the operator's issuer.
func mintToken(cfg app.Config, o tokenOptions) (string, error) {
	if !cfg.Development() {
		return "", errors.New("token: refused in production; tokens come from the operator's identity provider")
	}
	if cfg.JWTSecret == "" {
		return "", errors.New("token: needs an HS256 secret (PORTAL_JWT_SECRET); with a public key or JWKS the issuer mints tokens")
	}
	sub, roles, actor, err := o.claims()
	if err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	m := auth.Minter{Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience, Secret: []byte(cfg.JWTSecret)}
	return m.Mint(sub, roles, actor, o.TTL)
}
