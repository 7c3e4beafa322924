// Command visitors is the seed's visitor counter over net/http, on Grove: every request to /
// increments the shared counter "page-views" atomically; /stats reads it.
//
//	go run ./examples/visitors -addr :8080 -data ./visitors-data
//	curl localhost:8080/        -> {"total_views":1}
//	curl localhost:8080/stats   -> {"total_views":1}
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	grovekv "github.com/grovekv/grove/bindings/go"
)

// newMux serves the visitor counter from counter.
func newMux(visitors *grovekv.Counter) *http.ServeMux {
	reply := func(w http.ResponseWriter, count int64, err error) {
		if err != nil {
			log.Printf("counter error: %v", err)
			http.Error(w, "counter error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]int64{"total_views": count})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		count, err := visitors.Increment(1)
		reply(w, count, err)
	})
	mux.HandleFunc("/stats", func(w http.ResponseWriter, r *http.Request) {
		count, err := visitors.Get()
		reply(w, count, err)
	})
	return mux
}

func main() {
	addr := flag.String("addr", ":8080", "listen address")
	dir := flag.String("data", "./visitors-data", "store directory")
	memory := flag.Bool("memory", false, "use an in-memory store instead of -data")
	flag.Parse()

	var db *grovekv.DB
	var err error
	if *memory {
		db, err = grovekv.OpenMemory()
	} else {
		db, err = grovekv.Open(*dir)
	}
	if errors.Is(err, grovekv.ErrStoreLocked) {
		log.Fatalf("%s is used by another process: %v", *dir, err)
	}
	if err != nil {
		log.Fatal(err)
	}

	srv := &http.Server{Addr: *addr, Handler: newMux(db.Counter("page-views"))}
	go func() {
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
		<-stop
		_ = srv.Close()
	}()
	log.Printf("listening on %s", *addr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Print(err)
	}
	if err := db.Close(); err != nil {
		log.Fatal(err)
	}
}
