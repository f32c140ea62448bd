// Command clerkhook runs and exercises Clerk webhook receivers built with
// package clerkhook, without Clerk and without a tunnel:
//
//	clerkhook serve -dev                 # the handler on :8080, with a fresh signing secret
//	clerkhook send -url http://127.0.0.1:8080/webhooks/clerk -secret whsec_… -type user.updated
//	clerkhook backfill -database-url postgres://…   # copy the users Clerk already has
//	clerkhook verify capture.txt         # why a captured delivery is refused
//	clerkhook secret                     # a new signing secret for tests
//
// Run "clerkhook <command> -h" for a command's flags. Secrets are read from
// the environment when their flag is absent: CLERK_WEBHOOK_SECRET for the
// webhook signing secret, CLERK_SECRET_KEY for the Backend API's secret
// key, DATABASE_URL for PostgreSQL.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// The exit codes: 2 is for a command line that cannot be run, as the flag
// package does.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// A command is one subcommand of clerkhook.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"serve", "run the webhook handler on POST /webhooks/clerk, with GET /healthz", runServe},
		{"send", "sign a test event as Svix does and POST it to a webhook endpoint", runSend},
		{"backfill", "copy the users Clerk already has into the database", runBackfill},
		{"verify", "say why a captured delivery verifies or not, check by check", verifyCommand(os.Stdin, time.Now)},
		{"secret", "print a new webhook signing secret (whsec_…) for tests", runSecret},
	}
}

// run runs the command line args, without the program name, and returns
// the exit code. It stops when ctx is done.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	case "help":
		if len(rest) == 0 {
			usage(stdout)
			return exitOK
		}
		name, rest = rest[0], []string{"-h"}
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, rest, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "clerkhook: unknown command %q\n\n", name)
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprint(w, "Usage: clerkhook <command> [flags]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nRun \"clerkhook <command> -h\" for the flags of a command.\n")
}

// flags is the flag set of a command, with the text of its help.
type flags struct {
	*flag.FlagSet
	synopsis string
	about    string
}

func newFlags(name, synopsis, about string) *flags {
	fs := flag.NewFlagSet("clerkhook "+name, flag.ContinueOnError)
	// The help is printed by parse, to stdout when asked for.
	fs.Usage = func() {}
	return &flags{FlagSet: fs, synopsis: synopsis, about: about}
}

// given reports whether the flag named name was set on the command line.
func (f *flags) given(name string) bool {
	given := false
	f.Visit(func(fl *flag.Flag) { given = given || fl.Name == name })
	return given
}

// parse parses args. When it returns false, the command must return code:
// the help was asked for, or the command line is wrong and has been
// reported on stderr.
func (f *flags) parse(args []string, stdout, stderr io.Writer) (code int, ok bool) {
	return f.parseArgs(args, 0, stdout, stderr)
}

// parseArgs is parse for a command that takes up to maxArgs arguments
// after its flags.
func (f *flags) parseArgs(args []string, maxArgs int, stdout, stderr io.Writer) (code int, ok bool) {
	f.SetOutput(stderr)
	err := f.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		f.help(stdout)
		return exitOK, false
	case err != nil:
		// The flag package has printed what is wrong.
		fmt.Fprintln(stderr)
		f.help(stderr)
		return exitUsage, false
	case f.NArg() > maxArgs:
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n\n", f.Name(), f.Arg(maxArgs))
		f.help(stderr)
		return exitUsage, false
	}
	return exitOK, true
}

func (f *flags) help(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s %s\n\n%s\n", f.Name(), f.synopsis, f.about)
	n := 0
	f.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprint(w, "\nFlags:\n")
		f.SetOutput(w)
		f.PrintDefaults()
	}
}

// usageError reports a wrong command line on stderr and returns exitUsage.
func usageError(stderr io.Writer, f *flags, format string, args ...any) int {
	fmt.Fprintf(stderr, "%s: %s\n", f.Name(), fmt.Sprintf(format, args...))
	fmt.Fprintf(stderr, "Run \"%s -h\" for help.\n", f.Name())
	return exitUsage
}

// fail reports a failure on stderr and returns exitFailure.
func fail(stderr io.Writer, f *flags, format string, args ...any) int {
	fmt.Fprintf(stderr, "%s: %s\n", f.Name(), fmt.Sprintf(format, args...))
	return exitFailure
}

// fromEnv returns value, or the environment variable name when value is
// empty.
func fromEnv(value, name string) string {
	if value != "" {
		return value
	}
	return os.Getenv(name)
}
