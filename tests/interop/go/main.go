// kgoclient: a franz-go (github.com/twmb/franz-go) producer/consumer for the interop tests.
//
//	kgoclient produce -brokers B -topic T -partition P -n N -src NAME [-start I] [-compression none|gzip|snappy|lz4|zstd]
//	kgoclient consume -brokers B -topic T -partition P -n N [-offset O] [-timeout 60s]
//	kgoclient group-consume -brokers B -topic T -group G -n N [-timeout 60s]
//
// produce writes records start..start+n-1 of the shared interop data set (tests/interop/dataset.py) to one
// partition, idempotent (franz-go's default), acks=all, and prints {"produced":N}.
// consume reads exactly n records of one partition from offset O by explicit assignment (no group) and prints
// {"count":N,"sha256":"...","first_offset":X,"last_offset":Y}: the checksum is over the canonical lines
// "key\tvalue\th1=v1,h2=v2\n" in offset order, the same as dataset.py computes.
// group-consume joins group G (subscribed to T, from the earliest offset when the group has none), reads up to n
// records or until the timeout, commits and leaves; it prints {"count":N,"sha256":"..."} with the checksum over
// the canonical lines sorted (a group reads its partitions interleaved).
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// record i of the data set produced by `src` (must match dataset.py's record()).
func record(src string, i int) (key, value string, headers []kgo.RecordHeader) {
	key = fmt.Sprintf("key-%06d", i)
	h := fmt.Sprintf("%08x", (uint64(i)*2654435761)%4294967296)
	value = fmt.Sprintf("value-%06d-", i) + strings.Repeat(h, 8)
	headers = []kgo.RecordHeader{{Key: "src", Value: []byte(src)}, {Key: "seq", Value: []byte(strconv.Itoa(i))}}
	return
}

func canonicalLine(r *kgo.Record) string {
	hs := make([]string, len(r.Headers))
	for i, h := range r.Headers {
		hs[i] = h.Key + "=" + string(h.Value)
	}
	return string(r.Key) + "\t" + string(r.Value) + "\t" + strings.Join(hs, ",") + "\n"
}

func codec(name string) (kgo.CompressionCodec, error) {
	switch name {
	case "none":
		return kgo.NoCompression(), nil
	case "gzip":
		return kgo.GzipCompression(), nil
	case "snappy":
		return kgo.SnappyCompression(), nil
	case "lz4":
		return kgo.Lz4Compression(), nil
	case "zstd":
		return kgo.ZstdCompression(), nil
	}
	return kgo.NoCompression(), fmt.Errorf("unknown compression %q", name)
}

func die(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "kgoclient: "+format+"\n", args...)
	os.Exit(1)
}

func printJSON(v any) {
	out, _ := json.Marshal(v)
	fmt.Println(string(out))
}

func produce(args []string) {
	fs := flag.NewFlagSet("produce", flag.ExitOnError)
	brokers := fs.String("brokers", "127.0.0.1:9092", "bootstrap servers")
	topic := fs.String("topic", "", "topic")
	partition := fs.Int("partition", 0, "partition")
	n := fs.Int("n", 1000, "records")
	start := fs.Int("start", 0, "index of the first record")
	src := fs.String("src", "franz-go", "value of the src header")
	comp := fs.String("compression", "none", "none|gzip|snappy|lz4|zstd")
	timeout := fs.Duration("timeout", 60*time.Second, "overall timeout")
	_ = fs.Parse(args)
	c, err := codec(*comp)
	if err != nil {
		die("%v", err)
	}
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(strings.Split(*brokers, ",")...),
		kgo.DefaultProduceTopic(*topic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RequiredAcks(kgo.AllISRAcks()), // idempotence (the default) needs acks=all
		kgo.ProducerBatchCompression(c),
		kgo.ProducerLinger(5*time.Millisecond),
		kgo.MaxBufferedRecords(20000),
	)
	if err != nil {
		die("client: %v", err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	var mu sync.Mutex // promise callbacks run on franz-go's goroutines
	var firstErr error
	failed := 0
	for i := *start; i < *start+*n; i++ {
		k, v, h := record(*src, i)
		r := &kgo.Record{Key: []byte(k), Value: []byte(v), Headers: h, Partition: int32(*partition)}
		cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
			if err != nil {
				mu.Lock()
				defer mu.Unlock()
				failed++
				if firstErr == nil {
					firstErr = err
				}
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		die("flush: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if firstErr != nil {
		die("%d records failed, first error: %v", failed, firstErr)
	}
	printJSON(map[string]int{"produced": *n})
}

func consume(args []string) {
	fs := flag.NewFlagSet("consume", flag.ExitOnError)
	brokers := fs.String("brokers", "127.0.0.1:9092", "bootstrap servers")
	topic := fs.String("topic", "", "topic")
	partition := fs.Int("partition", 0, "partition")
	n := fs.Int("n", 1000, "records to read")
	offset := fs.Int64("offset", 0, "first offset")
	timeout := fs.Duration("timeout", 60*time.Second, "give up after this long")
	_ = fs.Parse(args)
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(strings.Split(*brokers, ",")...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{
			*topic: {int32(*partition): kgo.NewOffset().At(*offset)},
		}),
		kgo.FetchMaxWait(500*time.Millisecond),
	)
	if err != nil {
		die("client: %v", err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	sum := sha256.New()
	count := 0
	first, last := int64(-1), int64(-1)
	for count < *n {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			die("timed out after %d of %d records (last offset %d)", count, *n, last)
		}
		fetches.EachError(func(t string, p int32, err error) {
			die("fetch %s/%d: %v", t, p, err)
		})
		fetches.EachRecord(func(r *kgo.Record) {
			if count >= *n {
				return
			}
			if first < 0 {
				first = r.Offset
			}
			last = r.Offset
			sum.Write([]byte(canonicalLine(r)))
			count++
		})
	}
	printJSON(map[string]any{"count": count, "sha256": hex.EncodeToString(sum.Sum(nil)),
		"first_offset": first, "last_offset": last})
}

func groupConsume(args []string) {
	fs := flag.NewFlagSet("group-consume", flag.ExitOnError)
	brokers := fs.String("brokers", "127.0.0.1:9092", "bootstrap servers")
	topic := fs.String("topic", "", "topic")
	group := fs.String("group", "", "consumer group")
	n := fs.Int("n", 1000, "records to read at most")
	timeout := fs.Duration("timeout", 60*time.Second, "stop reading after this long")
	_ = fs.Parse(args)
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(strings.Split(*brokers, ",")...),
		kgo.ConsumerGroup(*group),
		kgo.ConsumeTopics(*topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.AutoCommitMarks(), // only what was read, never records polled past n
		kgo.FetchMaxWait(500*time.Millisecond),
	)
	if err != nil {
		die("client: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	var lines []string
	for len(lines) < *n && ctx.Err() == nil {
		fetches := cl.PollFetches(ctx)
		fetches.EachError(func(t string, p int32, err error) {
			if ctx.Err() == nil {
				die("fetch %s/%d: %v", t, p, err)
			}
		})
		fetches.EachRecord(func(r *kgo.Record) {
			if len(lines) < *n {
				lines = append(lines, canonicalLine(r))
				cl.MarkCommitRecords(r)
			}
		})
	}
	commitCtx, commitCancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer commitCancel()
	if err := cl.CommitMarkedOffsets(commitCtx); err != nil {
		die("commit: %v", err)
	}
	cl.Close() // leaves the group
	sort.Strings(lines)
	sum := sha256.New()
	for _, l := range lines {
		sum.Write([]byte(l))
	}
	printJSON(map[string]any{"count": len(lines), "sha256": hex.EncodeToString(sum.Sum(nil))})
}

func main() {
	if len(os.Args) < 2 {
		die("usage: kgoclient produce|consume [flags]")
	}
	switch os.Args[1] {
	case "produce":
		produce(os.Args[2:])
	case "consume":
		consume(os.Args[2:])
	case "group-consume":
		groupConsume(os.Args[2:])
	default:
		die("unknown command %q", os.Args[1])
	}
}
