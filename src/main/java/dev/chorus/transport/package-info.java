/**
 * The WebSocket transport, on Netty. Read it in this order:
 *
 * <ol>
 *   <li>{@link dev.chorus.transport.NettySocketServer} accepts TCP connections
 *       ({@link dev.chorus.transport.SocketGate} counts them from accept, per node and per address,
 *       and gives each the handshake timeout to complete its request) and answers the upgrade of
 *       {@code /socket/websocket}, once {@link dev.chorus.transport.ConnectionAdmission} admits it
 *       (draining, protocol version, origin ({@link dev.chorus.transport.OriginPolicy}), the node's
 *       joins in progress ({@link dev.chorus.transport.JoinsInProgress}), connect rate per IP,
 *       token, connections per user);
 *   <li>{@link dev.chorus.transport.WebSocketConnection}, one per connection on its event loop,
 *       reads frames ({@link dev.chorus.transport.WebSocketFrameReader}), hands text frames to the
 *       session through {@link dev.chorus.transport.Sessions}, and writes what is queued;
 *   <li>{@link dev.chorus.transport.OutboundQueue} is the connection's bounded queue of rendered
 *       frames (reference-counted buffers), where rooms and the session put what the client gets;
 *       overflowing it closes the connection as a slow consumer, as does a socket that stops
 *       draining ({@link dev.chorus.transport.StallWatch}) or the node's backlog passing its budget
 *       ({@link dev.chorus.transport.OutboundBudget}, {@link dev.chorus.transport.BudgetPlan});
 *   <li>{@link dev.chorus.transport.CloseReason} holds every close code and reason the server sends;
 *   <li>LongPoll ({@code /socket/longpoll}): {@link dev.chorus.transport.LongPollEndpoint} answers
 *       the HTTP requests, {@link dev.chorus.transport.LongPollSessions} holds the node's sessions
 *       (each a {@link dev.chorus.transport.LongPollSession}: a connection whose queue's writer is
 *       the waiting poll), {@link dev.chorus.transport.LongPollToken} names and signs them, and
 *       {@link dev.chorus.transport.LongPollRouter} forwards requests to the node holding their
 *       session.
 * </ol>
 *
 * This package knows nothing of sessions, rooms or presence: the session layer plugs in through
 * {@link dev.chorus.transport.Sessions}.
 */
package dev.chorus.transport;
