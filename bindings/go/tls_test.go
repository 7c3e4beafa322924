package grovekv_test

// The Redis engine over TLS (rediss://), through the Go door, against the test command's TLS
// server, which also requires AUTH (GROVE_TEST_REDIS_TLS, with its throwaway CA in
// GROVE_TEST_REDIS_TLS_DIR): exact counts, one lock owner and a KV round trip across two
// handles; an untrusted server, a wrong password and TLS to a plain server are ErrIo.

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	grovekv "github.com/grovekv/grove/bindings/go"
)

// tlsServer returns the TLS server's URL (rediss://grove:PASSWORD@localhost:PORT, no ?ca=)
// and the folder of its certificates, or skips when the test command did not start one.
func tlsServer(t *testing.T) (url, certs string) {
	t.Helper()
	url, certs = os.Getenv("GROVE_TEST_REDIS_TLS"), os.Getenv("GROVE_TEST_REDIS_TLS_DIR")
	if url == "" || certs == "" {
		t.Skip("GROVE_TEST_REDIS_TLS / GROVE_TEST_REDIS_TLS_DIR are not set (scripts/test.sh starts a TLS redis-server and sets them)")
	}
	return url, certs
}

func TestTLSWithTheCACountsLocksAndRoundTrips(t *testing.T) {
	url, certs := tlsServer(t)
	var id [8]byte
	_, err := rand.Read(id[:])
	must(t, err)
	target := url + "?store=go" + hex.EncodeToString(id[:]) + "&ca=" + filepath.Join(certs, "ca.pem")
	// The second handle also presents the client certificate (the server accepts one).
	mutual := target + "&cert=" + filepath.Join(certs, "client.pem") + "&key=" + filepath.Join(certs, "client.key")
	a, err := grovekv.Open(target)
	must(t, err)
	t.Cleanup(func() { _ = a.Close() })
	b, err := grovekv.Open(mutual, grovekv.WithConnectTimeout(2*time.Second))
	must(t, err)
	t.Cleanup(func() { _ = b.Close() })

	const increments = 100
	var wg sync.WaitGroup
	errs := make(chan error, 2*increments)
	for _, db := range []*grovekv.DB{a, b} {
		wg.Add(1)
		go func(c *grovekv.Counter) {
			defer wg.Done()
			for i := 0; i < increments; i++ {
				if _, err := c.Increment(1); err != nil {
					errs <- err
				}
			}
		}(db.Counter("hits"))
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, db := range []*grovekv.DB{a, b} {
		if n, err := db.Counter("hits").Get(); err != nil || n != 2*increments {
			t.Fatalf("counter %d, %v; want %d", n, err, 2*increments)
		}
	}

	first, second := a.Lock("deploy", 10*time.Second), b.Lock("deploy", 10*time.Second)
	wantBool := func(got bool, err error, want bool, what string) {
		t.Helper()
		if err != nil || got != want {
			t.Fatalf("%s: %v, %v; want %v", what, got, err, want)
		}
	}
	ok, err := first.TryAcquire()
	wantBool(ok, err, true, "first acquire")
	ok, err = second.TryAcquire()
	wantBool(ok, err, false, "second acquire while the first holds it")
	ok, err = second.Release()
	wantBool(ok, err, false, "release by a non-owner")
	ok, err = first.Release()
	wantBool(ok, err, true, "release by the owner")
	ok, err = second.TryAcquire()
	wantBool(ok, err, true, "second acquire after the release")
	if second.FencingToken() <= first.FencingToken() {
		t.Fatalf("fencing tokens %d then %d", first.FencingToken(), second.FencingToken())
	}
	ok, err = second.Release()
	wantBool(ok, err, true, "second release")

	must(t, a.Set("greeting", []byte("héllo over TLS")))
	got, err := b.Get("greeting")
	must(t, err)
	if string(got) != "héllo over TLS" {
		t.Fatalf("got %q", got)
	}
}

func TestTLSWithoutTheCAIsIoNamingTheCertificate(t *testing.T) {
	url, _ := tlsServer(t)
	// The system's CA store does not trust the test command's throwaway CA.
	_, err := grovekv.Open(url, grovekv.WithConnectTimeout(2*time.Second))
	wantErr(t, err, grovekv.ErrIo)
	if !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("%v", err)
	}
}

func TestTLSWithAWrongPasswordIsIo(t *testing.T) {
	url, certs := tlsServer(t)
	password := strings.SplitN(strings.SplitN(url, "grove:", 2)[1], "@", 2)[0]
	wrong := strings.Replace(url, "grove:", "grove:wrong", 1)
	_, err := grovekv.Open(wrong+"?ca="+filepath.Join(certs, "ca.pem"), grovekv.WithConnectTimeout(2*time.Second))
	wantErr(t, err, grovekv.ErrIo)
	if !regexp.MustCompile(`(?i)authentication`).MatchString(err.Error()) || strings.Contains(err.Error(), password) {
		t.Fatalf("%v", err)
	}
}

func TestTLSToAPlainServerIsIoWithinTheConnectTimeout(t *testing.T) {
	_, certs := tlsServer(t)
	plain := os.Getenv("GROVE_TEST_REDIS")
	if plain == "" {
		t.Skip("GROVE_TEST_REDIS is not set (scripts/test.sh starts a Redis and sets it)")
	}
	address := strings.SplitN(strings.SplitN(plain, "://", 2)[1], "/", 2)[0]
	// A plain server never answers a TLS handshake: the 1s connect timeout bounds the wait (the
	// 4s bound is below the 5s default and leaves room for a slow machine).
	start := time.Now()
	_, err := grovekv.Open("rediss://"+address+"?ca="+filepath.Join(certs, "ca.pem"), grovekv.WithConnectTimeout(time.Second))
	wantErr(t, err, grovekv.ErrIo)
	if !strings.Contains(err.Error(), address) {
		t.Fatalf("%v", err)
	}
	if took := time.Since(start); took > 4*time.Second {
		t.Fatalf("the open took %v", took)
	}
}
