package io.gregor.interop;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.utils.BufferSupplier;
import org.apache.kafka.common.utils.LogContext;
import org.apache.kafka.image.MetadataDelta;
import org.apache.kafka.image.MetadataImage;
import org.apache.kafka.image.MetadataProvenance;
import org.apache.kafka.image.TopicImage;
import org.apache.kafka.metadata.BrokerRegistration;
import org.apache.kafka.metadata.MetadataRecordSerde;
import org.apache.kafka.raft.Batch;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.apache.kafka.snapshot.FileRawSnapshotReader;
import org.apache.kafka.snapshot.RecordsSnapshotReader;
import org.apache.kafka.snapshot.SnapshotPath;
import org.apache.kafka.snapshot.Snapshots;

/**
 * Loads a metadata snapshot file the way a Kafka node does (FileRawSnapshotReader, RecordsSnapshotReader with CRC
 * checks and the header/footer, every record replayed into org.apache.kafka.image.MetadataDelta) and prints the
 * resulting MetadataImage as one JSON object on stdout:
 * {"records": N, "lastContainedOffset": O, "metadataVersion": L, "nextProducerId": P,
 *  "brokers": {"1": {"fenced": false, "epoch": E}}, "topics": {"name": {"id": "...", "partitions": N,
 *  "configs": {"k": "v"}}}}
 *
 * Usage: LoadSnapshot FILE.checkpoint. Exit code 0 on success, 1 on any error (the exception on stderr).
 */
public final class LoadSnapshot {
    private LoadSnapshot() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: LoadSnapshot FILE.checkpoint");
            System.exit(2);
        }
        Path file = Paths.get(args[0]).toAbsolutePath();
        Optional<SnapshotPath> path = Snapshots.parse(file);
        if (path.isEmpty() || path.get().partial() || path.get().deleted()) {
            System.err.println("not a complete snapshot file name: " + file);
            System.exit(1);
        }
        try (FileRawSnapshotReader raw = FileRawSnapshotReader.open(file.getParent(), path.get().snapshotId());
             RecordsSnapshotReader<ApiMessageAndVersion> reader = RecordsSnapshotReader.of(
                 raw, MetadataRecordSerde.INSTANCE, BufferSupplier.create(), 8 * 1024 * 1024, true,
                 new LogContext("[LoadSnapshot] "))) {
            MetadataDelta delta = new MetadataDelta.Builder().setImage(MetadataImage.EMPTY).build();
            int records = 0;
            while (reader.hasNext()) {
                Batch<ApiMessageAndVersion> batch = reader.next();
                for (ApiMessageAndVersion r : batch.records()) {
                    delta.replay(r.message());
                    records++;
                }
            }
            MetadataImage image = delta.apply(new MetadataProvenance(reader.lastContainedLogOffset(),
                reader.lastContainedLogEpoch(), reader.lastContainedLogTimestamp(), true));
            StringBuilder out = new StringBuilder();
            out.append("{\"records\":").append(records);
            out.append(",\"lastContainedOffset\":").append(reader.lastContainedLogOffset());
            out.append(",\"metadataVersion\":")
                .append(image.features().metadataVersion().map(v -> (int) v.featureLevel()).orElse(0));
            out.append(",\"nextProducerId\":").append(image.producerIds().nextProducerId());
            out.append(",\"brokers\":{");
            String sep = "";
            for (Map.Entry<Integer, BrokerRegistration> b : new TreeMap<>(image.cluster().brokers()).entrySet()) {
                out.append(sep).append('"').append(b.getKey()).append("\":{\"fenced\":")
                    .append(b.getValue().fenced()).append(",\"epoch\":").append(b.getValue().epoch()).append('}');
                sep = ",";
            }
            out.append("},\"topics\":{");
            sep = "";
            for (Map.Entry<String, TopicImage> t : new TreeMap<>(image.topics().topicsByName()).entrySet()) {
                out.append(sep).append(quote(t.getKey())).append(":{\"id\":").append(quote(t.getValue().id().toString()))
                    .append(",\"partitions\":").append(t.getValue().partitions().size()).append(",\"configs\":{");
                String csep = "";
                Map<String, String> configs = image.configs().configMapForResource(
                    new ConfigResource(ConfigResource.Type.TOPIC, t.getKey()));
                for (Map.Entry<String, String> c : new TreeMap<>(configs).entrySet()) {
                    out.append(csep).append(quote(c.getKey())).append(':').append(quote(c.getValue()));
                    csep = ",";
                }
                out.append("}}");
                sep = ",";
            }
            out.append("}}");
            System.out.println(out);
        }
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
