package dev.chorus.ops;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import dev.chorus.metrics.Metrics;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.cluster.javadsl.ClusterHttpManagementRoutes;
import org.apache.pekko.management.javadsl.ManagementRouteProvider;
import org.apache.pekko.management.javadsl.ManagementRouteProviderSettings;

/**
 * Pekko Management's cluster HTTP API under {@code /cluster}, with Chorus's rule for who may
 * call what. Pekko's own provider serves it without any authentication, so pekko-overrides.conf
 * turns that provider off and registers this one instead.
 *
 * <ul>
 *   <li>open: {@code GET /cluster/members}, {@code GET /cluster/members/{address}},
 *       {@code GET /cluster/shards} and {@code GET /cluster/shards/{region}}: they show the
 *       membership and where shards live, change nothing, and scripts and operators poll them;
 *   <li>the admin key ({@code chorus.admin.key}, {@code Authorization: Bearer <key>}, as the
 *       admin API): every other method, i.e. every route that changes the cluster
 *       ({@code PUT /cluster/members/{address}} with {@code operation=Leave|Down},
 *       {@code DELETE /cluster/members/{address}}, {@code POST /cluster/members} (join),
 *       {@code PUT /cluster} with {@code operation=prepare-for-full-shutdown}), and the
 *       {@code GET /cluster/domain-events} stream, which holds its connection open for as long as
 *       the client likes. 401 without the key or with a wrong one, 403 while no key is configured.
 * </ul>
 *
 * With {@code pekko.management.http.route-providers-read-only = on} the changing routes answer
 * 405 even with the key.
 */
public final class ClusterRoutes implements ManagementRouteProvider {
  private final Cluster cluster;
  private final BearerAuth auth;

  public ClusterRoutes(ExtendedActorSystem system) {
    this.cluster = Cluster.get(system);
    AdminSettings admin = AdminSettings.fromConfig(system.settings().config().getConfig("chorus"));
    this.auth = new BearerAuth(admin.key(),
        "cluster changes disabled: set chorus.admin.key (--admin-key, CHORUS_ADMIN_KEY)", Metrics.get(system));
  }

  @Override
  public Route routes(ManagementRouteProviderSettings settings) {
    Route all = ClusterHttpManagementRoutes.all(cluster);
    return extractUnmatchedPath(path -> {
      if (!path.equals("/cluster") && !path.startsWith("/cluster/")) return reject();
      return extractMethod(method -> {
        boolean read = method.equals(HttpMethods.GET);
        // For a GET, Pekko's routes match only their readers: members, one member, shards.
        if (read && !path.startsWith("/cluster/domain-events")) return all;
        return auth.authorized(() -> !read && settings.readOnly()
            ? BearerAuth.json(StatusCodes.METHOD_NOT_ALLOWED,
                BearerAuth.error("the cluster API is read-only (pekko.management.http.route-providers-read-only)"))
            : all);
      });
    });
  }
}
