// Package cli holds the command-line conventions relay-server and relay-client share:
// exit codes, the version, HOOKRELAY_<FLAG> for every flag, and terminal detection.
//
// # Exit codes
//
//	0  ok
//	1  error: the command was right but failed (server unreachable, store error...)
//	2  usage: a bad flag, argument, environment value or config-file entry
//	3  partial failure: a bulk command (bulk replay) where some items failed
//
// [ExitCode] is the one place errors map to codes: an [option.UsageError] is 2, a
// [PartialError] 3, any other error 1.
//
// # Environment
//
// Every flag can be set with HOOKRELAY_<FLAG> (--ca-file is HOOKRELAY_CA_FILE). A flag
// given on the command line wins. The environment is read after the flags are parsed,
// never used as a flag's default: a default is printed by --help, and a token or
// password in the environment must not be.
//
// # Version
//
// [Version] is the main module's version and VCS revision from the build information
// (debug.ReadBuildInfo), shown by "version" and --version and carried in the protocol's
// Hello and Welcome.
package cli
