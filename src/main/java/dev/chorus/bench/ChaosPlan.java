package dev.chorus.bench;

/**
 * Who is where in a chaos run. Clients {@code 0..clients-1} subscribe; publishers are separate
 * clients numbered after them ({@code clients + k} for publisher {@code k}, whose payloads carry
 * {@code "p": k}). Everyone starts on a node by its number ({@code i mod nodes}) and moves on to
 * the next node whenever it reconnects.
 *
 * <p>Subscriber {@code i} is the {@code q = i / nodes}-th client of its first node, and joins
 * rooms {@code (q + j * stride) mod rooms} for {@code j < roomsPerClient}, {@code stride = rooms /
 * roomsPerClient}: its rooms are distinct and far apart, and as soon as a node has {@code rooms}
 * clients every room has members that start on every node, so losing any node hits every room.
 * Publisher {@code k} publishes to the rooms {@code r} with {@code r mod publishers == k} (to room
 * {@code k mod rooms} when there are more publishers than rooms), so each room has its publisher.
 */
final class ChaosPlan {
  /** The server's max-joins per connection (chorus.connection.max-joins). */
  static final int MAX_JOINS = 100;
  /**
   * Most pushes per second one publisher connection may send: the server's inbound rate is 200
   * frames/s per connection (heartbeats and rejoins count too), its publish rate 100/s per
   * connection and topic.
   */
  static final double MAX_RATE_PER_PUBLISHER = 150;
  static final double MAX_RATE_PER_PUBLISHER_TOPIC = 100;

  final int clients;
  final int rooms;
  final int roomsPerClient;
  final int nodes;
  final int publishers;
  final double rate;
  final double ratePerPublisher;

  ChaosPlan(int clients, int rooms, int roomsPerClient, int nodes, int publishersPerNode, double rate) {
    if (clients < 1 || rooms < 1 || nodes < 1 || publishersPerNode < 1) throw new IllegalArgumentException("counts must be ≥ 1");
    if (roomsPerClient < 1 || roomsPerClient > Math.min(rooms, MAX_JOINS)) {
      throw new IllegalArgumentException("--rooms-per-client must be between 1 and min(--rooms, " + MAX_JOINS + ")");
    }
    if (!(rate > 0)) throw new IllegalArgumentException("--rate must be > 0");
    this.clients = clients;
    this.rooms = rooms;
    this.roomsPerClient = roomsPerClient;
    this.nodes = nodes;
    this.publishers = nodes * publishersPerNode;
    this.rate = rate;
    this.ratePerPublisher = rate / publishers;
    if (ratePerPublisher > MAX_RATE_PER_PUBLISHER) {
      throw new IllegalArgumentException(String.format(
          "%.0f pushes/s per publisher is over the server's per-connection limits (at most %.0f/s): raise --publishers-per-node",
          ratePerPublisher, MAX_RATE_PER_PUBLISHER));
    }
    if (ratePerPublisher / publisherRooms(0).length > MAX_RATE_PER_PUBLISHER_TOPIC) {
      throw new IllegalArgumentException("over 100 pushes/s per publisher and room (the room namespace's publish rate): raise --rooms or --publishers-per-node");
    }
  }

  int total() {
    return clients + publishers;
  }

  /** The node client {@code id} (subscriber or publisher) connects to first. */
  int firstNode(int id) {
    return id < clients ? id % nodes : (id - clients) % nodes;
  }

  boolean isPublisher(int id) {
    return id >= clients;
  }

  /** The rooms client {@code id} joins: a subscriber's spread, a publisher's own. */
  int[] roomsOf(int id) {
    return isPublisher(id) ? publisherRooms(id - clients) : subscriberRooms(id);
  }

  int[] subscriberRooms(int i) {
    int q = i / nodes;
    int stride = rooms / roomsPerClient;
    int[] mine = new int[roomsPerClient];
    for (int j = 0; j < roomsPerClient; j++) mine[j] = (q + j * stride) % rooms;
    return mine;
  }

  int[] publisherRooms(int k) {
    if (rooms < publishers) return new int[] {k % rooms};
    int[] mine = new int[(rooms - k + publishers - 1) / publishers];
    for (int j = 0; j < mine.length; j++) mine[j] = k + j * publishers;
    return mine;
  }
}
