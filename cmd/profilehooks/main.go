// Command profilehooks keeps user profiles in sync with third-party systems
// through webhooks, administered through a GraphQL API.
//
// Usage:
//
//	profilehooks serve [flags]   run the service (profilehooks serve -h lists the flags)
//	profilehooks rotate-key      re-encrypt the stored secrets under a new key (rotate-key -h)
//	profilehooks version         print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/profilehooks/profilehooks/server"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// defaultGCPercent is the GC target unless GOGC is set: the GraphQL executor
// allocates many short-lived objects, and a larger heap between collections
// buys far more throughput than it costs in memory (BENCHMARKS.md).
const defaultGCPercent = 400

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "profilehooks:", err)
		}
		os.Exit(2)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: profilehooks serve [flags] | profilehooks rotate-key [flags] | profilehooks version")
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stderr)
	case "version":
		fmt.Fprintln(stdout, version)
		return nil
	case "rotate-key":
		return rotateKey(args[1:], os.Getenv, stdout, stderr)
	}
	return fmt.Errorf("unknown command %q: use serve, rotate-key or version", args[0])
}

func serve(args []string, stderr io.Writer) error {
	cfg, err := server.ParseConfig(args, os.Getenv, stderr)
	if err != nil {
		return err
	}
	cfg.Version = version
	logger := newLogger(cfg, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := server.New(ctx, cfg, logger, server.Deps{})
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	return srv.Serve(ctx, ln)
}

func newLogger(cfg server.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(strings.ToUpper(cfg.LogLevel)))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts)).With("version", version)
}
