package server

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestWorkersRefuseAfterClose(t *testing.T) {
	var w workers
	var finished atomic.Bool
	if !w.add() {
		t.Fatal("add refused before close")
	}
	release := make(chan struct{})
	go func() {
		defer w.done()
		<-release
		finished.Store(true)
	}()
	closed := make(chan struct{})
	go func() { w.close(); close(closed) }()
	for w.add() { // wait until close has begun: add then starts failing
		w.done()
		time.Sleep(time.Millisecond)
	}
	select {
	case <-closed:
		t.Fatal("close returned with work in flight")
	default:
	}
	close(release)
	<-closed
	if !finished.Load() {
		t.Fatal("close returned before the work finished")
	}
}

func TestCompletionsWaitSeesEarlierSaves(t *testing.T) {
	var c completions
	c.start()
	waited := make(chan struct{})
	go func() { c.wait(context.Background()); close(waited) }()
	select {
	case <-waited:
		t.Fatal("wait returned before the save finished")
	case <-time.After(20 * time.Millisecond):
	}
	c.finish()
	<-waited
}
