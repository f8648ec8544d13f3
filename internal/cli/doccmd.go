package cli

import (
	"regexp"
	"strings"
)

// DocCommand is a command line of prog found in a Markdown code block, for tests that
// keep documentation and flags from drifting apart.
type DocCommand struct {
	Line int      // 1-based line in the document
	Args []string // the arguments after the program name, shell-split
	// Runnable is true in a shell block (```sh): the line runs as written. Other blocks
	// hold synopses (PORT|URL, [--name N]): only their flag names mean something.
	Runnable bool
	Text     string // the line as written, for messages
}

// flagName matches a long flag in a synopsis.
var flagName = regexp.MustCompile(`(^|[\s\[])--([a-z][a-z0-9-]*)`)

// Flags are the long flag names the command line mentions.
func (d DocCommand) Flags() []string {
	var out []string
	for _, m := range flagName.FindAllStringSubmatch(d.Text, -1) {
		out = append(out, m[2])
	}
	return out
}

// prompt is a shell prompt naming who runs a line ("alice$ "), as examples with several
// people write it.
var prompt = regexp.MustCompile(`^[a-z][a-z0-9_-]*\$\s+`)

// DocCommands finds the lines of the Markdown document md's code blocks that run prog,
// as "prog ..." or "go run ./prog ...", in a shell block also after a prompt such as
// "alice$ ". A shell line continued with a backslash is
// joined; a comment after # is dropped. In a synopsis block, lines starting with --
// belong to the command above them.
func DocCommands(md, prog string) []DocCommand {
	var out []DocCommand
	var inBlock, shell bool
	lines := strings.Split(md, "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if fence, ok := strings.CutPrefix(line, "```"); ok {
			inBlock, shell = !inBlock, fence == "sh" || fence == "bash" || fence == "shell"
			continue
		}
		if !inBlock {
			continue
		}
		start := i + 1
		for shell && strings.HasSuffix(line, `\`) && i+1 < len(lines) {
			i++
			line = strings.TrimSuffix(line, `\`) + " " + strings.TrimSpace(lines[i])
		}
		out = appendDocCommand(out, start, line, prog, shell)
	}
	return out
}

func appendDocCommand(out []DocCommand, n int, line, prog string, shell bool) []DocCommand {
	if strings.HasPrefix(line, "--") && !shell && len(out) > 0 && out[len(out)-1].Line >= n-8 {
		out[len(out)-1].Text += " " + line
		return out
	}
	if shell {
		line = line[len(prompt.FindString(line)):]
	}
	rest, ok := strings.CutPrefix(line, "go run ./"+prog)
	if !ok {
		rest, ok = strings.CutPrefix(line, prog)
	}
	if !ok || rest != "" && rest[0] != ' ' {
		return out
	}
	if shell {
		rest = stripComment(rest)
	}
	return append(out, DocCommand{Line: n, Args: shellSplit(rest), Runnable: shell, Text: line})
}

// stripComment drops a shell comment: a # after a blank, outside quotes.
func stripComment(s string) string {
	var quote rune
	for i, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '#' && i > 0 && (s[i-1] == ' ' || s[i-1] == '\t'):
			return s[:i]
		}
	}
	return s
}

// shellSplit splits words as a shell would for the quoting README lines use: blanks
// separate, single and double quotes group (variables stay as written).
func shellSplit(s string) []string {
	var out []string
	var word strings.Builder
	var quote rune
	inWord := false
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			word.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				out, inWord = append(out, word.String()), false
				word.Reset()
			}
		default:
			word.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		out = append(out, word.String())
	}
	return out
}
