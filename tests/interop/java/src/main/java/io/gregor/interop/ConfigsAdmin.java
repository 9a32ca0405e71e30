package io.gregor.interop;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.AlterConfigsOptions;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.common.config.ConfigResource;

/**
 * The config admin calls of the Java Admin client, for the interop tests.
 *
 * <pre>
 * ConfigsAdmin BOOTSTRAP describe TYPE NAME [synonyms] [docs]
 *     one JSON object per config on stdout: {"name", "value", "source", "sensitive", "readOnly", "type",
 *     "documentation", "synonyms": [{"name", "value", "source"}]}
 * ConfigsAdmin BOOTSTRAP alter TYPE NAME [validate] OP KEY[=VALUE] ...
 *     incrementalAlterConfigs with OP in SET, DELETE, APPEND, SUBTRACT; prints "OK"
 * </pre>
 * TYPE is topic or broker (NAME "" = the cluster default). A failed call prints
 * {"error": "ExceptionClass", "message": "..."} on stdout and exits 3; bad usage exits 2.
 */
public final class ConfigsAdmin {
    private ConfigsAdmin() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: ConfigsAdmin BOOTSTRAP describe|alter TYPE NAME ...");
            System.exit(2);
        }
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "gregor-interop-configs");
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "20000");
        ConfigResource resource = new ConfigResource(
                args[2].equals("broker") ? ConfigResource.Type.BROKER : ConfigResource.Type.TOPIC, args[3]);
        try (Admin admin = Admin.create(props)) {
            if (args[1].equals("describe")) {
                describe(admin, resource, args);
            } else if (args[1].equals("alter")) {
                alter(admin, resource, args);
            } else {
                System.err.println("unknown command " + args[1]);
                System.exit(2);
            }
        } catch (ExecutionException e) {
            Throwable c = e.getCause() == null ? e : e.getCause();
            System.out.println("{\"error\": " + str(c.getClass().getSimpleName()) + ", \"message\": "
                    + str(c.getMessage()) + "}");
            System.exit(3);
        }
    }

    private static void describe(Admin admin, ConfigResource resource, String[] args) throws Exception {
        boolean synonyms = false;
        boolean docs = false;
        for (int i = 4; i < args.length; i++) {
            synonyms |= args[i].equals("synonyms");
            docs |= args[i].equals("docs");
        }
        DescribeConfigsOptions options =
                new DescribeConfigsOptions().includeSynonyms(synonyms).includeDocumentation(docs);
        Map<ConfigResource, Config> result =
                admin.describeConfigs(List.of(resource), options).all().get(20, TimeUnit.SECONDS);
        for (ConfigEntry e : result.get(resource).entries()) {
            List<String> syns = new ArrayList<>();
            for (ConfigEntry.ConfigSynonym s : e.synonyms()) {
                syns.add("{\"name\": " + str(s.name()) + ", \"value\": " + str(s.value()) + ", \"source\": "
                        + str(s.source().name()) + "}");
            }
            System.out.println("{\"name\": " + str(e.name()) + ", \"value\": " + str(e.value())
                    + ", \"source\": " + str(e.source().name()) + ", \"sensitive\": " + e.isSensitive()
                    + ", \"readOnly\": " + e.isReadOnly() + ", \"type\": " + str(e.type().name())
                    + ", \"documentation\": " + str(e.documentation()) + ", \"synonyms\": ["
                    + String.join(", ", syns) + "]}");
        }
    }

    private static void alter(Admin admin, ConfigResource resource, String[] args) throws Exception {
        boolean validateOnly = false;
        Collection<AlterConfigOp> ops = new ArrayList<>();
        for (int i = 4; i < args.length; i++) {
            if (args[i].equals("validate")) {
                validateOnly = true;
                continue;
            }
            AlterConfigOp.OpType op = AlterConfigOp.OpType.valueOf(args[i]);
            String kv = args[++i];
            int eq = kv.indexOf('=');
            String key = eq < 0 ? kv : kv.substring(0, eq);
            String value = eq < 0 ? null : kv.substring(eq + 1);
            ops.add(new AlterConfigOp(new ConfigEntry(key, value), op));
        }
        admin.incrementalAlterConfigs(Map.of(resource, ops), new AlterConfigsOptions().validateOnly(validateOnly))
                .all().get(20, TimeUnit.SECONDS);
        System.out.println("OK");
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
