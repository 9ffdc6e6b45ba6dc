package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"concord/models"
)

const backupUsage = `usage: concord backup [-db FILE] -out FILE

Writes a consistent copy of the database to the new file -out while the
server keeps running (SQLite's VACUUM INTO, through a read-only connection):
the copy holds every save acknowledged before the backup began. It refuses
to overwrite an existing file. Check the copy with "concord check -db FILE".
Flags:`

// backupCmd is "concord backup".
func backupCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("backup", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() { fmt.Fprintln(stderr, backupUsage); flags.PrintDefaults() }
	db := dbFlag(flags)
	out := flags.String("out", "", "the backup file to write; it must not exist (required)")
	if err := flags.Parse(args); err != nil {
		return helpRequested(err)
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", flags.Args())
	}
	if models.IsPostgresDSN(*db) {
		return errors.New("concord backup copies a SQLite database: back up PostgreSQL with its own tools, " +
			"such as pg_dump -Fc -f concord.dump (see the README's section on backups)")
	}
	if *out == "" {
		return errors.New("name the backup file with -out FILE, such as -out concord-2026-03-02.db")
	}
	if err := existingDatabase(*db); err != nil {
		return err
	}
	if same, err := sameFile(*db, *out); err != nil {
		return err
	} else if same {
		return fmt.Errorf("-out %s is the database itself: name a new file", *out)
	}
	if _, err := os.Lstat(*out); err == nil {
		return fmt.Errorf("%s exists: a backup never overwrites a file; name a new one with -out", *out)
	}
	size, err := models.Backup(ctx, *db, *out)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s exists: a backup never overwrites a file; name a new one with -out", *out)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Backed up %s to %s (%s).\nCheck the copy with: concord check -db %s\n", *db, *out, byteSize(size), *out)
	return nil
}

const restoreUsage = `usage: concord restore -from FILE -db NEWPATH

Puts a backup in place as the database NEWPATH: it first checks the backup
(integrity check, foreign keys, Concord's tables) without changing it, then
copies it beside NEWPATH and moves it into place in one step, so that
NEWPATH is either absent or the whole backup. It refuses to overwrite an
existing database (or one's -wal or -shm file): stop the server and move the
old database aside first, or restore under a new name and start the server
with -db NEWPATH.
Flags:`

// restoreCmd is "concord restore".
func restoreCmd(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	flags := flag.NewFlagSet("restore", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() { fmt.Fprintln(stderr, restoreUsage); flags.PrintDefaults() }
	from := flags.String("from", "", "the backup file to restore (required)")
	db := dbFlag(flags)
	if err := flags.Parse(args); err != nil {
		return helpRequested(err)
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", flags.Args())
	}
	if *from == "" {
		return errors.New("name the backup to restore with -from FILE")
	}
	if models.IsPostgresDSN(*db) || models.IsPostgresDSN(*from) {
		return errors.New("concord restore puts a SQLite backup in place: restore PostgreSQL with its own tools " +
			"(pg_restore), or move a SQLite backup into PostgreSQL with concord copy")
	}
	if _, err := os.Stat(*from); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("there is no backup at %s", *from)
		}
		return fmt.Errorf("open backup: %w", err)
	}
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		if _, err := os.Lstat(*db + suffix); err == nil {
			return fmt.Errorf("%s exists: restore never overwrites a database; restore under a new name, "+
				"or stop the server and move the old database (and its -wal and -shm files) aside first", *db+suffix)
		}
	}
	// A backup made by concord backup is one file. A -wal file beside it
	// would hold writes that copying the main file alone would lose.
	if info, err := os.Stat(*from + "-wal"); err == nil && info.Size() > 0 {
		return fmt.Errorf("%s-wal exists beside the backup: it was opened for writing after it was made, "+
			"and copying it alone would lose those writes; make a new backup of it with concord backup -db %s -out NEW", *from, *from)
	}
	report, err := checkFile(ctx, *from)
	if err != nil {
		return err
	}
	if !report.OK() {
		for _, p := range report.Problems() {
			fmt.Fprintf(stdout, "  - %s\n", p)
		}
		return fmt.Errorf("the backup %s failed its check (%d problem(s)); nothing was restored", *from, len(report.Problems()))
	}
	size, err := copyIntoPlace(*from, *db)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Restored %s to %s (%s): integrity check ok, no foreign-key violations.\nStart the server with -db %s.\n",
		*from, *db, byteSize(size), *db)
	return nil
}

// checkFile runs the integrity checks on a database file, opened read-only.
func checkFile(ctx context.Context, path string) (*models.IntegrityReport, error) {
	report, err := models.CheckDatabaseFile(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("check %s: %w", path, err)
	}
	return report, nil
}

// copyIntoPlace copies the file from to the new file to: first to a
// temporary file in to's folder, synced to disk, then moved into place in
// one step that fails if to exists (a hard link), so that to is never a
// partial copy and never replaces a file that appeared meanwhile.
func copyIntoPlace(from, to string) (size int64, err error) {
	src, err := os.Open(from)
	if err != nil {
		return 0, fmt.Errorf("open backup: %w", err)
	}
	defer src.Close()
	dir := filepath.Dir(to)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(to)+".restore-*")
	if err != nil {
		return 0, fmt.Errorf("restore into %s: %w", dir, err)
	}
	defer func() {
		tmp.Close()
		if rerr := os.Remove(tmp.Name()); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
	}()
	if size, err = io.Copy(tmp, src); err != nil {
		return 0, fmt.Errorf("copy backup into %s: %w", dir, err)
	}
	if err := tmp.Sync(); err != nil {
		return 0, fmt.Errorf("sync restored copy: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return 0, fmt.Errorf("close restored copy: %w", err)
	}
	if err := os.Link(tmp.Name(), to); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return 0, fmt.Errorf("%s appeared while restoring: nothing was overwritten", to)
		}
		// A file system without hard links: move it, having checked once
		// more that nothing is in the way.
		if _, serr := os.Lstat(to); serr == nil {
			return 0, fmt.Errorf("%s appeared while restoring: nothing was overwritten", to)
		}
		if err := os.Rename(tmp.Name(), to); err != nil {
			return 0, fmt.Errorf("move restored copy into place: %w", err)
		}
	}
	if err := models.SyncDir(dir); err != nil {
		return 0, err
	}
	return size, nil
}

// existingDatabase refuses a database path with no file (a PostgreSQL URL
// passes: the connection tells).
func existingDatabase(path string) error {
	if models.IsPostgresDSN(path) {
		return nil
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("there is no database at %s: give its path with -db (or CONCORD_DB)", path)
	} else if err != nil {
		return fmt.Errorf("open database %s: %w", path, err)
	}
	return nil
}

// sameFile reports whether two paths name one existing file.
func sameFile(a, b string) (bool, error) {
	ia, err := os.Stat(a)
	if err != nil {
		return false, fmt.Errorf("open %s: %w", a, err)
	}
	ib, err := os.Stat(b)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("open %s: %w", b, err)
	}
	return os.SameFile(ia, ib), nil
}

// byteSize writes a size for people: "812 bytes", "4.2 MB".
func byteSize(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
