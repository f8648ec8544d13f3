// Package option defines a binary's options once and fills them from every source.
//
// An [Option] is one row of a table: its name, a typed [Value] bound to the field it
// fills (with the field's default), a [Check] and its help. From the table, [Set]
// makes the command-line flags, reads HOOKRELAY_<FLAG> from the environment and keys
// from a YAML config file, and checks every value in one step ([Set.Verify]). So adding
// an option is one row plus its use.
//
// # Precedence
//
// A flag given on the command line wins over the environment, the environment over the
// config file, and the file over the default. Each value remembers its source, which
// errors name ("--body-limit from HOOKRELAY_BODY_LIMIT: ...").
//
// # Names
//
// The flag is the option's Name (body-limit), the environment variable HOOKRELAY_ and
// the name in upper case with underscores (HOOKRELAY_BODY_LIMIT), the config-file key
// the name with underscores (body_limit). Unknown file keys are an error naming the key:
// a typo must not pass for a default.
//
// # Units
//
// Sizes are bytes with an optional binary unit: 65536, 64KiB, 32MiB, 4GiB (KB, MB and
// GB are read as the same binary units; B is bytes). Byte rates are a size a second:
// 8KiB/s, or plain bytes a second. Durations are Go durations (30s, 168h) and days
// (7d). Request rates are numbers a second (1000 or 1000/s).
//
// Errors of this package are [UsageError]s: the value was given wrong, and the binaries
// exit 2 for them.
package option
