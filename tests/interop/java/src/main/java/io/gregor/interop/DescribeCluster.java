package io.gregor.interop;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.common.Node;

/**
 * Calls Admin.describeCluster() against a bootstrap server and prints one JSON object on stdout:
 * {"clusterId": "...", "controller": {node} | null, "nodes": [{node}, ...]}, with
 * node = {"id": 1, "host": "127.0.0.1", "port": 9092, "rack": null}.
 *
 * Usage: DescribeCluster BOOTSTRAP [TIMEOUT_MS]. Exit code 0 on success, 1 on any error (message on stderr).
 */
public final class DescribeCluster {
    private DescribeCluster() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: DescribeCluster BOOTSTRAP [TIMEOUT_MS]");
            System.exit(2);
        }
        int timeoutMs = args.length > 1 ? Integer.parseInt(args[1]) : 20000;
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "gregor-interop-describe-cluster");
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Integer.toString(Math.min(timeoutMs, 10000)));
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Integer.toString(timeoutMs));
        try (Admin admin = Admin.create(props)) {
            DescribeClusterResult r = admin.describeCluster(new DescribeClusterOptions().timeoutMs(timeoutMs));
            String clusterId = r.clusterId().get(timeoutMs, TimeUnit.MILLISECONDS);
            Node controller = r.controller().get(timeoutMs, TimeUnit.MILLISECONDS);
            Collection<Node> nodes = r.nodes().get(timeoutMs, TimeUnit.MILLISECONDS);
            List<String> ns = new ArrayList<>();
            for (Node n : nodes) {
                ns.add(node(n));
            }
            System.out.println("{\"clusterId\": " + str(clusterId)
                    + ", \"controller\": " + (controller == null || controller.isEmpty() ? "null" : node(controller))
                    + ", \"nodes\": [" + String.join(", ", ns) + "]}");
        } catch (Exception e) {
            System.err.println("DescribeCluster failed: " + e);
            System.exit(1);
        }
    }

    private static String node(Node n) {
        return "{\"id\": " + n.id() + ", \"host\": " + str(n.host()) + ", \"port\": " + n.port()
                + ", \"rack\": " + str(n.rack()) + "}";
    }

    private static String str(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                default:
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
            }
        }
        return b.append('"').toString();
    }
}
