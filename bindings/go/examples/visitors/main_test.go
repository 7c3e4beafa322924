package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	grovekv "github.com/grovekv/grove/bindings/go"
)

// Concurrent requests end exact: the seed's counter, served over HTTP.
func TestConcurrentVisitsAreExact(t *testing.T) {
	db, err := grovekv.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	srv := httptest.NewServer(newMux(db.Counter("page-views")))
	defer srv.Close()

	const clients, each = 8, 25
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				resp, err := http.Get(srv.URL + "/")
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	resp, err := http.Get(srv.URL + "/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]int64
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if body["total_views"] != clients*each {
		t.Fatalf("total_views %d, want %d", body["total_views"], clients*each)
	}
}
