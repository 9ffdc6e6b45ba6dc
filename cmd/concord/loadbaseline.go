package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"

	"concord/models"
)

// loadBaselineCmd serves the HTTP one-row baseline of concord loadtest: a
// minimal gin handler that inserts one row per POST into an SQLite
// database opened with the Store's settings. It is what the save path is
// compared with, measured the same way (a child process driven over HTTP
// by the same number of clients). It prints the same "Concord is serving
// on ADDR" line as serve, and stops on SIGTERM.
func loadBaselineCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadtest-baseline", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", "", "baseline database file (created)")
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	synchronous := fs.String("synchronous", models.SynchronousFull, "FULL or NORMAL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *db == "" || (*synchronous != models.SynchronousFull && *synchronous != models.SynchronousNormal) {
		return errors.New("loadtest-baseline needs -db FILE and -synchronous FULL or NORMAL")
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	b, err := models.OpenBaseline(ctx, *db, *synchronous)
	if err != nil {
		return err
	}
	defer b.Close()
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.POST("/row", func(c *gin.Context) {
		if err := b.Insert(c.Request.Context(), c.PostForm("value")); err != nil {
			c.String(http.StatusInternalServerError, "insert failed")
			return
		}
		c.Status(http.StatusNoContent)
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "Concord is serving on %s (one-row baseline, synchronous=%s)\n", ln.Addr(), *synchronous)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

// httpBaseline runs the HTTP one-row baseline with the given synchronous
// setting: it starts the baseline server as a child process on a new
// database in dir, has `clients` clients POST one row each in a loop for
// d, and returns the throughput of answered requests.
func httpBaseline(ctx context.Context, program, dir, synchronous string, clients int, d time.Duration) (models.Throughput, error) {
	db := filepath.Join(dir, "baseline-http-"+strings.ToLower(synchronous)+".db")
	srv, err := startLoadServer(ctx, program, []string{"loadtest-baseline", "-db", db, "-addr", "127.0.0.1:0",
		"-synchronous", synchronous}, filepath.Join(dir, "baseline.log"))
	if err != nil {
		return models.Throughput{}, err
	}
	defer srv.stop()
	target := "http://" + srv.addr + "/row"
	transports := make([]*http.Client, clients)
	for i := range transports {
		transports[i] = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	}
	return models.RunLoad(ctx, clients, 0, d, func(ctx context.Context, worker, i int) error {
		body := url.Values{"value": {"client " + strconv.Itoa(worker) + " row " + strconv.Itoa(i)}}.Encode()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := transports[worker].Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusNoContent {
			return fmt.Errorf("baseline answered %s", res.Status)
		}
		return nil
	})
}
