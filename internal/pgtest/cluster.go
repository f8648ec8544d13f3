package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Cluster is a throwaway PostgreSQL cluster: a data directory and a unix
// socket in one private temporary directory, no TCP port. Its server is a
// child process of the test binary that dies with it (Linux: the parent
// death signal), so a test binary killed by its -timeout leaves no server
// running.
type Cluster struct {
	dir    string
	bindir string
	as     []string // setpriv prefix running a command as nobody, when root
	cfg    Config
	server *exec.Cmd
	exited chan struct{} // closed when the server process has been waited for
}

// Config tunes Start.
type Config struct {
	// Durable keeps fsync, synchronous_commit and full_page_writes on, as a
	// production server has them; tests leave it off (a lost cluster is
	// thrown away anyway), benchmarks that compare backends set it.
	Durable bool
}

// errNoInitdb: PostgreSQL's server binaries are not installed.
var errNoInitdb = errors.New("initdb not found in PATH nor in /usr/lib/postgresql/*/bin")

// findBindir returns the directory holding initdb and pg_ctl.
func findBindir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		return filepath.Dir(p), nil
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(found) == 0 {
		return "", errNoInitdb
	}
	slices.Sort(found) // the highest major version last (two digits since 10)
	return filepath.Dir(found[len(found)-1]), nil
}

// Start creates and starts a cluster. As root it runs PostgreSQL as nobody
// (the server refuses to run as root). The socket directory comes from
// os.MkdirTemp rather than a test's TempDir, whose long paths can pass the
// 107-byte limit of a unix socket path.
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	bindir, err := findBindir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "hrpg")
	if err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	c := &Cluster{dir: dir, bindir: bindir, cfg: cfg}
	if err := c.dropRoot(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := c.run(ctx, "initdb", "-D", c.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8",
		"--no-locale", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := c.startServer(ctx); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		os.RemoveAll(dir)
		return nil, fmt.Errorf("%w\nserver log:\n%s", err, log)
	}
	return c, nil
}

// startServer runs postgres in the foreground as a child process and waits
// until it accepts connections.
func (c *Cluster) startServer(ctx context.Context) error {
	log, err := os.Create(filepath.Join(c.dir, "server.log"))
	if err != nil {
		return err
	}
	defer log.Close()
	argv := slices.Clone(c.as)
	if len(argv) > 0 {
		argv = append(argv[:1], append([]string{"--pdeathsig", "QUIT"}, argv[1:]...)...)
	}
	argv = append(argv, filepath.Join(c.bindir, "postgres"), "-D", c.data())
	argv = append(argv, serverArgs(c.dir, c.cfg)...)
	c.server = exec.Command(argv[0], argv[1:]...)
	c.server.Stdout, c.server.Stderr, c.server.Dir = log, log, os.TempDir()
	c.server.SysProcAttr = dieWithParent()
	if err := c.server.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	c.exited = make(chan struct{})
	go func() { c.server.Wait(); close(c.exited) }()
	return c.waitReady(ctx)
}

// waitReady polls until the server accepts a connection.
func (c *Cluster) waitReady(ctx context.Context) error {
	for {
		conn, err := pgx.Connect(ctx, c.DSN())
		if err == nil {
			return conn.Close(ctx)
		}
		select {
		case <-c.exited:
			return fmt.Errorf("postgres exited during startup: %w", err)
		case <-ctx.Done():
			c.kill()
			return fmt.Errorf("postgres not ready: %w", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// serverArgs are the server's settings: no TCP, the socket in dir, room
// for many test connections, and unless durable no flushing at all.
func serverArgs(dir string, cfg Config) []string {
	args := []string{"-c", "listen_addresses=", "-p", "5432", "-k", dir, "-c", "max_connections=200"}
	if !cfg.Durable {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	return args
}

// dropRoot makes the directory nobody's and prefixes commands with setpriv
// when running as root.
func (c *Cluster) dropRoot() error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		return fmt.Errorf("start postgres as root: %w", err)
	}
	var uid, gid int
	fmt.Sscan(u.Uid, &uid)
	fmt.Sscan(u.Gid, &gid)
	if err := os.Chown(c.dir, uid, gid); err != nil {
		return fmt.Errorf("start postgres as root: %w", err)
	}
	if err := os.Chmod(c.dir, 0o700); err != nil {
		return fmt.Errorf("start postgres as root: %w", err)
	}
	c.as = []string{"setpriv", "--reuid=" + u.Uid, "--regid=" + u.Gid, "--clear-groups", "--reset-env",
		"env", "PATH=" + c.bindir + ":/usr/bin:/bin"}
	return nil
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

// run runs one of the cluster's binaries, as nobody when root.
func (c *Cluster) run(ctx context.Context, name string, args ...string) error {
	argv := append(slices.Clone(c.as), filepath.Join(c.bindir, name))
	argv = append(argv, args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = os.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// DSN is the cluster's connection string (superuser postgres, database
// postgres).
func (c *Cluster) DSN() string {
	return "host=" + c.dir + " port=5432 user=postgres dbname=postgres sslmode=disable connect_timeout=10"
}

// Crash kills the server's postmaster with SIGKILL, as the kernel's OOM
// killer or a kill -9 would, leaving the data directory as a crash does.
func (c *Cluster) Crash() {
	_ = c.server.Process.Kill()
	<-c.exited
}

// Restart starts the server again on its data directory after Crash,
// retrying while the killed server's backends still hold its shared memory
// (they exit once they notice their postmaster is gone), and waits until it
// accepts connections.
func (c *Cluster) Restart(ctx context.Context) error {
	for {
		err := c.startServer(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			log, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
			return fmt.Errorf("restart postgres: %w\nserver log:\n%s", err, log)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Stop stops the server at once (immediate shutdown, as after a crash)
// and deletes the cluster.
func (c *Cluster) Stop() error {
	c.kill()
	return os.RemoveAll(c.dir)
}

// kill sends the server SIGQUIT and waits for it to exit.
func (c *Cluster) kill() {
	if c.server == nil {
		return
	}
	_ = c.server.Process.Signal(syscall.SIGQUIT)
	select {
	case <-c.exited:
	case <-time.After(time.Minute):
		_ = c.server.Process.Kill()
		<-c.exited
	}
}
