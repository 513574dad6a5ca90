package dev.chorus.ops;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import dev.chorus.metrics.Metrics;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.util.ByteString;

/**
 * A request body of the management port's APIs, read whole up to a bound: a larger one is
 * refused with 413 as soon as that is known (at once when its Content-Length says so, else when
 * the bound is passed), without reading the rest, and counted in
 * {@code chorus_management_refused{reason="body_too_large"}}; one that does not arrive within
 * 5 s of its head gets 408. Shared by the admin API and the API for backends.
 */
public final class RequestBody {
  /** How long a body may take to arrive once its head has. */
  private static final long TIMEOUT_MILLIS = 5000;

  private RequestBody() {}

  /** {@code inner} with the body's bytes; {@code setting} names the bound's key in the 413's text. */
  public static Route read(int maxBytes, String setting, Metrics metrics, Function<ByteString, Route> inner) {
    return extractRequestEntity(entity -> extractMaterializer(materializer -> onComplete(
        entity.withSizeLimit(maxBytes).toStrict(TIMEOUT_MILLIS, materializer), strict -> {
          if (strict.isSuccess()) return inner.apply(strict.get().getData());
          for (Throwable t = strict.failed().get(); t != null; t = t.getCause()) {
            if (t instanceof EntityStreamSizeException) {
              metrics.managementRefused("body_too_large");
              return BearerAuth.json(StatusCodes.PAYLOAD_TOO_LARGE,
                  BearerAuth.error("body too large: at most " + maxBytes + " bytes (" + setting + ")"));
            }
            if (t instanceof TimeoutException) {
              return BearerAuth.json(StatusCodes.REQUEST_TIMEOUT, BearerAuth.error("the body did not arrive in time"));
            }
          }
          return BearerAuth.json(StatusCodes.BAD_REQUEST, BearerAuth.error("cannot read the body"));
        })));
  }
}
