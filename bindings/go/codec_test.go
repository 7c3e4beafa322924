package grovekv_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	grovekv "github.com/grovekv/grove/bindings/go"
)

// dirContains reports whether a file directly in dir holds marker.
func dirContains(t *testing.T, dir, marker string) bool {
	t.Helper()
	entries, err := os.ReadDir(dir)
	must(t, err)
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		must(t, err)
		if bytes.Contains(b, []byte(marker)) {
			return true
		}
	}
	return false
}

func testKey(seed byte) []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = seed + byte(i)
	}
	return k
}

// A store opened WithEncryptionKey: values, sessions and jobs round-trip through a reopen with
// the key and are not in the lmdb files in the clear (they are without a key); no key or
// another key is ErrEncryption; a rotation keeps old values readable; a wrong length is
// ErrInvalidArgument.
func TestEncryptionAtRest(t *testing.T) {
	key, other := testKey(1), testKey(0xa0)
	dir := filepath.Join(t.TempDir(), "sealed")
	target := "lmdb:" + dir
	db, err := grovekv.Open(target, grovekv.WithEncryptionKey(key))
	must(t, err)
	must(t, db.Set("kv", []byte("MARKER-go-kv-5e2")))
	sid, err := db.Sessions(time.Minute, "sess:").Create([]byte("MARKER-go-session-5e2"))
	must(t, err)
	_, err = db.Queue("jobs", 30*time.Second, 5).Enqueue([]byte("MARKER-go-job-5e2"), 0)
	must(t, err)
	must(t, db.Close())
	if dirContains(t, dir, "MARKER-go-") {
		t.Fatal("a value written under encryption is in the data files in the clear")
	}

	db, err = grovekv.Open(target, grovekv.WithEncryptionKey(key))
	must(t, err)
	v, err := db.Get("kv")
	must(t, err)
	if string(v) != "MARKER-go-kv-5e2" {
		t.Fatalf("kv: %q", v)
	}
	data, err := db.Sessions(time.Minute, "sess:").Get(sid)
	must(t, err)
	if string(data) != "MARKER-go-session-5e2" {
		t.Fatalf("session: %q", data)
	}
	job, err := db.Queue("jobs", 30*time.Second, 5).Dequeue()
	must(t, err)
	if job == nil || string(job.Payload) != "MARKER-go-job-5e2" {
		t.Fatalf("job: %+v", job)
	}
	must(t, db.Close())

	for _, opts := range [][]grovekv.Option{nil, {grovekv.WithEncryptionKey(other)}} {
		db, err = grovekv.Open(target, opts...)
		must(t, err)
		_, err = db.Get("kv")
		wantErr(t, err, grovekv.ErrEncryption)
		must(t, db.Close())
	}
	db, err = grovekv.Open(target, grovekv.WithEncryptionKey(other, key))
	must(t, err)
	v, err = db.Get("kv")
	must(t, err)
	if string(v) != "MARKER-go-kv-5e2" {
		t.Fatalf("kv after rotation: %q", v)
	}
	must(t, db.Close())

	// The same write without a key is in the files, so the check above can fail.
	plain := filepath.Join(t.TempDir(), "plain")
	db, err = grovekv.Open("lmdb:" + plain)
	must(t, err)
	must(t, db.Set("kv", []byte("MARKER-go-kv-5e2")))
	must(t, db.Close())
	if !dirContains(t, plain, "MARKER-go-kv-5e2") {
		t.Fatal("the plaintext control does not find its marker")
	}

	// Memory; lengths are the core's to check.
	m, err := grovekv.OpenMemory(grovekv.WithEncryptionKey(key))
	must(t, err)
	must(t, m.Set("k", []byte("v")))
	v, err = m.Get("k")
	must(t, err)
	if string(v) != "v" {
		t.Fatalf("memory: %q", v)
	}
	must(t, m.Close())
	for _, bad := range [][]grovekv.Option{
		{grovekv.WithEncryptionKey(key[:31])},
		{grovekv.WithEncryptionKey(nil)},
		{grovekv.WithEncryptionKey([]byte{})},
		{grovekv.WithEncryptionKey(key, key[:16])},
	} {
		_, err = grovekv.OpenMemory(bad...)
		wantErr(t, err, grovekv.ErrInvalidArgument)
		_, err = grovekv.Open(target, bad...)
		wantErr(t, err, grovekv.ErrInvalidArgument)
	}
}

// A 10 KB value written WithCompression reads back, also after reopening without it.
func TestCompression(t *testing.T) {
	big := []byte(strings.Repeat("compressible text ", 600))[:10*1024]
	target := "lmdb:" + filepath.Join(t.TempDir(), "z")
	db, err := grovekv.Open(target, grovekv.WithCompression())
	must(t, err)
	must(t, db.Set("big", big))
	v, err := db.Get("big")
	must(t, err)
	if !bytes.Equal(v, big) {
		t.Fatal("compressed value differs")
	}
	must(t, db.Close())
	db, err = grovekv.Open(target)
	must(t, err)
	v, err = db.Get("big")
	must(t, err)
	if !bytes.Equal(v, big) {
		t.Fatal("compressed value differs after reopening without compression")
	}
	must(t, db.Close())
	m, err := grovekv.OpenMemory(grovekv.WithCompressionMinBytes(0), grovekv.WithEncryptionKey(testKey(7)))
	must(t, err)
	must(t, m.Set("big", big))
	v, err = m.Get("big")
	must(t, err)
	if !bytes.Equal(v, big) {
		t.Fatal("compressed and sealed value differs")
	}
	must(t, m.Close())
	_, err = grovekv.OpenMemory(grovekv.WithCompressionMinBytes(-1))
	wantErr(t, err, grovekv.ErrInvalidArgument)
}
