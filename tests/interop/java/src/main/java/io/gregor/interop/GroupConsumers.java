package io.gregor.interop;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Runs COUNT KafkaConsumers (one thread each, started STAGGER_MS apart so the group rebalances as
 * they arrive) in one classic group on TOPIC until EXPECTED records were read and nothing more came
 * for two seconds, or TIMEOUT_MS passed. Each consumer commits synchronously when partitions are
 * revoked and when it stops (one after another), so a record is read exactly once across the group. Prints one JSON
 * object: {"records": N, "distinct": D, "perConsumer": [n, ...], "assignedConsumers": K,
 * "errors": E}.
 *
 * Usage: GroupConsumers BOOTSTRAP TOPIC GROUP COUNT ASSIGNOR EXPECTED [STAGGER_MS] [TIMEOUT_MS]
 * (ASSIGNOR: range, roundrobin, sticky or cooperative-sticky).
 */
public final class GroupConsumers {
    private GroupConsumers() {}

    private static String assignorClass(String name) {
        switch (name) {
            case "range":
                return "org.apache.kafka.clients.consumer.RangeAssignor";
            case "roundrobin":
                return "org.apache.kafka.clients.consumer.RoundRobinAssignor";
            case "sticky":
                return "org.apache.kafka.clients.consumer.StickyAssignor";
            case "cooperative-sticky":
                return "org.apache.kafka.clients.consumer.CooperativeStickyAssignor";
            default:
                throw new IllegalArgumentException("unknown assignor " + name);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 6) {
            System.err.println("usage: GroupConsumers BOOTSTRAP TOPIC GROUP COUNT ASSIGNOR EXPECTED [STAGGER_MS] [TIMEOUT_MS]");
            System.exit(2);
        }
        final String bootstrap = args[0];
        final String topic = args[1];
        final String group = args[2];
        final int count = Integer.parseInt(args[3]);
        final String assignor = assignorClass(args[4]);
        final long expected = Long.parseLong(args[5]);
        final long staggerMs = args.length > 6 ? Long.parseLong(args[6]) : 1000;
        final long timeoutMs = args.length > 7 ? Long.parseLong(args[7]) : 90000;

        final Set<String> distinct = ConcurrentHashMap.newKeySet();
        final AtomicLong total = new AtomicLong();
        final AtomicLong lastRecordAt = new AtomicLong(System.currentTimeMillis());
        final AtomicLong errors = new AtomicLong();
        final AtomicBoolean[] stop = new AtomicBoolean[count];
        final long[] perConsumer = new long[count];
        final boolean[] assigned = new boolean[count];
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            final int idx = i;
            stop[idx] = new AtomicBoolean(false);
            Thread t = new Thread(() -> {
                Properties p = new Properties();
                p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
                p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
                p.put(ConsumerConfig.CLIENT_ID_CONFIG, "gregor-interop-" + idx);
                p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, assignor);
                p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
                p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
                p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "10000");
                p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "1000");
                p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "50");
                p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
                p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
                try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p)) {
                    c.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                        @Override
                        public void onPartitionsRevoked(Collection<TopicPartition> parts) {
                            if (!parts.isEmpty()) {
                                c.commitSync();
                            }
                        }

                        @Override
                        public void onPartitionsLost(Collection<TopicPartition> parts) {
                            // Lost partitions may already be someone else's: nothing to commit.
                        }

                        @Override
                        public void onPartitionsAssigned(Collection<TopicPartition> parts) {
                            if (!parts.isEmpty()) {
                                assigned[idx] = true;
                            }
                        }
                    });
                    while (!stop[idx].get()) {
                        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                            distinct.add(r.topic() + "/" + r.key() + "/" + r.value());
                            total.incrementAndGet();
                            perConsumer[idx]++;
                            lastRecordAt.set(System.currentTimeMillis());
                        }
                    }
                    // A rebalance another member started may be under way: finish it, then commit.
                    while (true) {
                        try {
                            c.commitSync();
                            break;
                        } catch (RebalanceInProgressException e) {
                            c.poll(Duration.ofMillis(100));
                        }
                    }
                } catch (Exception e) {
                    errors.incrementAndGet();
                    e.printStackTrace();
                }
            });
            threads.add(t);
            t.start();
            Thread.sleep(staggerMs);
        }
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            if (total.get() >= expected && System.currentTimeMillis() - lastRecordAt.get() > 2000) {
                break;
            }
            Thread.sleep(100);
        }
        // One at a time, so each leave is an ordinary rebalance for the members still polling.
        for (int i = 0; i < count; i++) {
            stop[i].set(true);
            threads.get(i).join(30000);
        }
        int assignedConsumers = 0;
        StringBuilder per = new StringBuilder();
        for (int i = 0; i < count; i++) {
            assignedConsumers += assigned[i] ? 1 : 0;
            per.append(i == 0 ? "" : ",").append(perConsumer[i]);
        }
        System.out.println("{\"records\": " + total.get() + ", \"distinct\": " + distinct.size()
                + ", \"perConsumer\": [" + per + "], \"assignedConsumers\": " + assignedConsumers
                + ", \"errors\": " + errors.get() + "}");
        System.exit(0);
    }
}
