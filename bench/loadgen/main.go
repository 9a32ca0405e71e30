// loadgen: a light (non-JVM) Kafka load generator for bench/compare.py, on franz-go.
//
//	loadgen create  -brokers B -topic T -partitions P
//	loadgen produce -brokers B -topic T -record-size S -bytes N [-acks 1|all] [-rate MB/s] [-linger 5ms] [-batch-bytes 16384]
//	loadgen e2e     -brokers B -topic T -record-size S -rate MB/s -duration D [-warmup W] [-acks all]
//	loadgen consume -brokers B -topic T -records N
//
// Every command prints one JSON object on stdout. MB = 10^6 bytes of record values (the payload).
//
// produce: sends N bytes of S-byte records (no key) as fast as the broker takes them (or at -rate MB/s) and
// waits for every acknowledgement. acks=all is idempotent (franz-go's default); acks=1 cannot be, as in the
// Java producer, so idempotence is off there. Linger and batch size default to the Java producer's 4.x defaults
// (linger.ms=5, batch.size=16384) so that this driver and kafka-producer-perf-test build the same batches.
//
// e2e: a producer at a fixed rate and a consumer reading the same partitions at the same time (ConsumePartitions,
// no group). Each value starts with its send time (UnixNano, big-endian); the consumer's receive time minus
// that is the end-to-end latency, reported in milliseconds with microsecond resolution. Records sent during
// -warmup are not counted.
//
// consume: reads every partition of T from the start by assignment (no group) until N records arrived.
package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func die(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "loadgen: "+format+"\n", args...)
	os.Exit(1)
}

func printJSON(v any) {
	out, _ := json.Marshal(v)
	fmt.Println(string(out))
}

func newClient(brokers string, opts ...kgo.Opt) *kgo.Client {
	// MetadataMinAge: refresh soon after a leadership error, as the Java producer does (franz-go waits 5 s).
	base := []kgo.Opt{kgo.SeedBrokers(brokers), kgo.MetadataMinAge(250 * time.Millisecond)}
	cl, err := kgo.NewClient(append(base, opts...)...)
	if err != nil {
		die("client: %v", err)
	}
	return cl
}

// ------------------------------------------------------------------ create

func create(args []string) {
	fs := flag.NewFlagSet("create", flag.ExitOnError)
	brokers := fs.String("brokers", "127.0.0.1:9092", "bootstrap servers")
	topic := fs.String("topic", "", "topic")
	partitions := fs.Int("partitions", 1, "partitions")
	timeout := fs.Duration("timeout", 30*time.Second, "")
	_ = fs.Parse(args)
	cl := newClient(*brokers)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	req := kmsg.NewPtrCreateTopicsRequest()
	t := kmsg.NewCreateTopicsRequestTopic()
	t.Topic = *topic
	t.NumPartitions = int32(*partitions)
	t.ReplicationFactor = 1
	req.Topics = append(req.Topics, t)
	req.TimeoutMillis = 30000
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		die("CreateTopics: %v", err)
	}
	for _, rt := range resp.Topics {
		if e := kerr.ErrorForCode(rt.ErrorCode); e != nil && !errors.Is(e, kerr.TopicAlreadyExists) {
			die("CreateTopics %s: %v", rt.Topic, e)
		}
	}
	// Wait until every partition has a leader, so the first produce does not measure topic creation.
	for {
		mreq := kmsg.NewPtrMetadataRequest()
		mt := kmsg.NewMetadataRequestTopic()
		mt.Topic = topic
		mreq.Topics = append(mreq.Topics, mt)
		mresp, err := mreq.RequestWith(ctx, cl)
		if err == nil && len(mresp.Topics) == 1 && mresp.Topics[0].ErrorCode == 0 &&
			len(mresp.Topics[0].Partitions) == *partitions {
			ready := true
			for _, p := range mresp.Topics[0].Partitions {
				if p.ErrorCode != 0 || p.Leader < 0 {
					ready = false
				}
			}
			if ready && partitionsServe(ctx, cl, *topic, *partitions) {
				break
			}
		}
		if ctx.Err() != nil {
			die("topic %s not ready: %v", *topic, ctx.Err())
		}
		time.Sleep(20 * time.Millisecond)
	}
	printJSON(map[string]any{"created": *topic, "partitions": *partitions})
}

// partitionsServe: ListOffsets answers every partition without error. A leader in Metadata is not enough:
// Kafka publishes it before the broker's replica manager has applied it, and a producer that meets
// NOT_LEADER_OR_FOLLOWER then waits for its next metadata refresh, which would be measured as throughput.
func partitionsServe(ctx context.Context, cl *kgo.Client, topic string, partitions int) bool {
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	t := kmsg.NewListOffsetsRequestTopic()
	t.Topic = topic
	for p := 0; p < partitions; p++ {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition = int32(p)
		rp.Timestamp = -1
		t.Partitions = append(t.Partitions, rp)
	}
	req.Topics = append(req.Topics, t)
	shards := cl.RequestSharded(ctx, req)
	n := 0
	for _, sh := range shards {
		if sh.Err != nil {
			return false
		}
		for _, rt := range sh.Resp.(*kmsg.ListOffsetsResponse).Topics {
			for _, rp := range rt.Partitions {
				if rp.ErrorCode != 0 {
					return false
				}
				n++
			}
		}
	}
	return n == partitions
}

// ------------------------------------------------------------------ produce

func producerOpts(acks string, linger time.Duration, batchBytes int) []kgo.Opt {
	opts := []kgo.Opt{kgo.ProducerLinger(linger), kgo.ProducerBatchMaxBytes(int32(batchBytes)),
		kgo.ProducerBatchCompression(kgo.NoCompression())}
	switch acks {
	case "all", "-1":
		opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))
	case "1":
		opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite())
	default:
		die("acks must be 1 or all, not %q", acks)
	}
	return opts
}

// pacer blocks until record i is due at `rate` bytes/s (rate <= 0: never blocks).
type pacer struct {
	start      time.Time
	rate, size float64
}

func (p pacer) wait(i int) {
	if p.rate <= 0 {
		return
	}
	due := p.start.Add(time.Duration(float64(i) * p.size / p.rate * 1e9))
	if d := time.Until(due); d > 0 {
		time.Sleep(d)
	}
}

func produce(args []string) {
	fs := flag.NewFlagSet("produce", flag.ExitOnError)
	brokers := fs.String("brokers", "127.0.0.1:9092", "bootstrap servers")
	topic := fs.String("topic", "", "topic")
	size := fs.Int("record-size", 1024, "value bytes per record")
	total := fs.Int64("bytes", 100<<20, "payload bytes to send")
	acks := fs.String("acks", "all", "1 or all")
	rate := fs.Float64("rate", 0, "MB/s (0: as fast as possible)")
	linger := fs.Duration("linger", 5*time.Millisecond, "linger.ms")
	batchBytes := fs.Int("batch-bytes", 16384, "batch.size")
	_ = fs.Parse(args)
	n := int(*total / int64(*size))
	if n < 1 {
		die("-bytes smaller than one record")
	}
	cl := newClient(*brokers, append(producerOpts(*acks, *linger, *batchBytes), kgo.DefaultProduceTopic(*topic))...)
	defer cl.Close()
	value := make([]byte, *size)
	rand.New(rand.NewSource(1)).Read(value)
	var failed atomic.Int64
	var firstErr atomic.Value
	cb := func(_ *kgo.Record, err error) {
		if err != nil {
			if failed.Add(1) == 1 {
				firstErr.Store(err.Error())
			}
		}
	}
	ctx := context.Background()
	start := time.Now()
	p := pacer{start, *rate * 1e6, float64(*size)}
	for i := 0; i < n; i++ {
		p.wait(i)
		cl.Produce(ctx, &kgo.Record{Value: value}, cb)
	}
	if err := cl.Flush(ctx); err != nil {
		die("flush: %v", err)
	}
	secs := time.Since(start).Seconds()
	if f := failed.Load(); f > 0 {
		die("%d records failed, first: %v", f, firstErr.Load())
	}
	bytes := float64(n) * float64(*size)
	printJSON(map[string]any{"records": n, "bytes": int64(bytes), "seconds": secs,
		"mb_per_s": bytes / secs / 1e6, "records_per_s": float64(n) / secs})
}

// ------------------------------------------------------------------ e2e

func partitionsOf(ctx context.Context, cl *kgo.Client, topic string) []int32 {
	req := kmsg.NewPtrMetadataRequest()
	t := kmsg.NewMetadataRequestTopic()
	t.Topic = &topic
	req.Topics = append(req.Topics, t)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil || len(resp.Topics) != 1 || resp.Topics[0].ErrorCode != 0 {
		die("metadata for %s: %v", topic, err)
	}
	var ps []int32
	for _, p := range resp.Topics[0].Partitions {
		ps = append(ps, p.Partition)
	}
	return ps
}

func assignFromStart(ctx context.Context, brokers, topic string) *kgo.Client {
	meta := newClient(brokers)
	ps := partitionsOf(ctx, meta, topic)
	meta.Close()
	offsets := map[int32]kgo.Offset{}
	for _, p := range ps {
		offsets[p] = kgo.NewOffset().AtStart()
	}
	return newClient(brokers, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: offsets}))
}

func percentile(sorted []int64, q float64) float64 {
	if len(sorted) == 0 {
		return -1
	}
	i := int(q * float64(len(sorted)-1))
	return float64(sorted[i]) / 1e6 // ns -> ms
}

func e2e(args []string) {
	fs := flag.NewFlagSet("e2e", flag.ExitOnError)
	brokers := fs.String("brokers", "127.0.0.1:9092", "bootstrap servers")
	topic := fs.String("topic", "", "topic")
	size := fs.Int("record-size", 1024, "value bytes per record (>= 8)")
	rate := fs.Float64("rate", 20, "offered load, MB/s")
	duration := fs.Duration("duration", 20*time.Second, "how long to produce")
	warmup := fs.Duration("warmup", 2*time.Second, "records sent before this are not counted")
	acks := fs.String("acks", "all", "1 or all")
	linger := fs.Duration("linger", 5*time.Millisecond, "linger.ms")
	batchBytes := fs.Int("batch-bytes", 16384, "batch.size")
	_ = fs.Parse(args)
	if *size < 8 {
		die("-record-size must be >= 8")
	}
	ctx := context.Background()
	cons := assignFromStart(ctx, *brokers, *topic)
	defer cons.Close()
	prod := newClient(*brokers, append(producerOpts(*acks, *linger, *batchBytes), kgo.DefaultProduceTopic(*topic))...)
	defer prod.Close()

	n := int(*rate * 1e6 * duration.Seconds() / float64(*size))
	lat := make([]int64, 0, n)
	warmNs := time.Now().Add(*warmup).UnixNano() // fixed before the producer starts
	done := make(chan struct{})
	var received int
	go func() {
		defer close(done)
		for received < n {
			fetches := cons.PollFetches(ctx)
			now := time.Now().UnixNano()
			fetches.EachError(func(t string, p int32, err error) { die("fetch %s/%d: %v", t, p, err) })
			fetches.EachRecord(func(r *kgo.Record) {
				sent := int64(binary.BigEndian.Uint64(r.Value))
				received++
				if sent >= warmNs {
					lat = append(lat, now-sent)
				}
			})
		}
	}()

	var failed atomic.Int64
	cb := func(_ *kgo.Record, err error) {
		if err != nil {
			failed.Add(1)
		}
	}
	pad := make([]byte, *size)
	rand.New(rand.NewSource(1)).Read(pad)
	start := time.Now()
	p := pacer{start, *rate * 1e6, float64(*size)}
	for i := 0; i < n; i++ {
		p.wait(i)
		v := make([]byte, *size)
		copy(v[8:], pad[8:])
		binary.BigEndian.PutUint64(v, uint64(time.Now().UnixNano()))
		prod.Produce(ctx, &kgo.Record{Value: v}, cb)
	}
	if err := prod.Flush(ctx); err != nil {
		die("flush: %v", err)
	}
	sendSecs := time.Since(start).Seconds()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		die("consumer received %d of %d records", received, n)
	}
	if f := failed.Load(); f > 0 {
		die("%d records failed", f)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	printJSON(map[string]any{"records": n, "measured": len(lat), "send_seconds": sendSecs,
		"offered_mb_per_s": *rate, "achieved_mb_per_s": float64(n) * float64(*size) / sendSecs / 1e6,
		"p50_ms": percentile(lat, 0.50), "p99_ms": percentile(lat, 0.99), "p999_ms": percentile(lat, 0.999),
		"max_ms": percentile(lat, 1.0)})
}

// ------------------------------------------------------------------ consume

func consume(args []string) {
	fs := flag.NewFlagSet("consume", flag.ExitOnError)
	brokers := fs.String("brokers", "127.0.0.1:9092", "bootstrap servers")
	topic := fs.String("topic", "", "topic")
	records := fs.Int("records", 0, "records to read")
	timeout := fs.Duration("timeout", 300*time.Second, "")
	_ = fs.Parse(args)
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	start := time.Now()
	cl := assignFromStart(ctx, *brokers, *topic)
	defer cl.Close()
	var n int
	var bytes int64
	for n < *records {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			die("read %d of %d records: %v", n, *records, ctx.Err())
		}
		fetches.EachError(func(t string, p int32, err error) { die("fetch %s/%d: %v", t, p, err) })
		fetches.EachRecord(func(r *kgo.Record) {
			n++
			bytes += int64(len(r.Value))
		})
	}
	secs := time.Since(start).Seconds()
	printJSON(map[string]any{"records": n, "bytes": bytes, "seconds": secs, "mb_per_s": float64(bytes) / secs / 1e6})
}

func main() {
	if len(os.Args) < 2 {
		die("usage: loadgen create|produce|e2e|consume [flags]")
	}
	switch os.Args[1] {
	case "create":
		create(os.Args[2:])
	case "produce":
		produce(os.Args[2:])
	case "e2e":
		e2e(os.Args[2:])
	case "consume":
		consume(os.Args[2:])
	default:
		die("unknown command %q", os.Args[1])
	}
}
