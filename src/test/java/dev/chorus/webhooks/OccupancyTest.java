package dev.chorus.webhooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OccupancyTest {
  private final Occupancy<String> occupancy = new Occupancy<>(100);

  @Test
  void aTopicIsOccupiedByItsFirstMemberAndVacatedByItsLast() {
    assertEquals(new Occupancy.Changes(true, false, List.of("ann"), List.of()), occupancy.joined("nodeA", "ann"));
    assertEquals(new Occupancy.Changes(false, false, List.of("bob"), List.of()), occupancy.joined("nodeB", "bob"));
    assertEquals(new Occupancy.Changes(false, false, List.of(), List.of("ann")), occupancy.left("nodeA", "ann"));
    assertEquals(new Occupancy.Changes(false, true, List.of(), List.of("bob")), occupancy.left("nodeB", "bob"));
    assertEquals(0, occupancy.members());
    // 0 -> 1 -> 0 again: a second occupied / vacated pair
    assertTrue(occupancy.joined("nodeA", "ann").occupied());
    assertTrue(occupancy.left("nodeA", "ann").vacated());
  }

  @Test
  void aUserArrivesWithTheirFirstConnectionOnAnyNodeAndGoesWithTheirLast() {
    occupancy.joined("nodeA", "ann");
    assertTrue(occupancy.joined("nodeB", "ann").isEmpty(), "a second connection, on another node");
    assertTrue(occupancy.joined("nodeB", "ann").isEmpty());
    assertTrue(occupancy.left("nodeA", "ann").isEmpty());
    assertTrue(occupancy.left("nodeB", "ann").isEmpty());
    assertEquals(new Occupancy.Changes(false, true, List.of(), List.of("ann")), occupancy.left("nodeB", "ann"));
  }

  @Test
  void aLeaveNobodyCountedChangesNothing() {
    assertTrue(occupancy.left("nodeA", "ann").isEmpty());
    assertEquals(0, occupancy.members());
  }

  @Test
  void aRoomThatIsGoneTakesItsUsersWithIt() {
    occupancy.joined("nodeA", "ann");
    occupancy.joined("nodeA", "bob");
    occupancy.joined("nodeB", "bob");
    Occupancy.Changes gone = occupancy.gone("nodeA");
    assertEquals(List.of("ann"), gone.gone(), "bob is still on nodeB");
    assertFalse(gone.vacated());
    assertEquals(new Occupancy.Changes(false, true, List.of(), List.of("bob")), occupancy.gone("nodeB"));
  }

  @Test
  void aRestatementIsTakenForAnUnknownRoomOrOneThatAgreesOnItsCount() {
    assertEquals(new Occupancy.Changes(true, false, List.of("ann", "bob"), List.of()),
        sorted(occupancy.restate("nodeA", 3, Map.of("ann", 2, "bob", 1))));
    // As many members as counted, other users: the statement is right (a leave the entity missed)
    assertEquals(new Occupancy.Changes(false, false, List.of("cy"), List.of("bob")),
        occupancy.restate("nodeA", 3, Map.of("ann", 2, "cy", 1)));
    // A statement older than a join the entity counted since: the users are kept
    occupancy.joined("nodeA", "dee");
    assertTrue(occupancy.restate("nodeA", 3, Map.of("ann", 2, "cy", 1)).isEmpty());
    assertTrue(occupancy.has("dee"));
    // ...and one older than the leaves it counted since, down to none: the count is kept too
    assertTrue(occupancy.restate("nodeA", 0, Map.of()).isEmpty());
    assertEquals(4, occupancy.members());
  }

  @Test
  void usersAreCountedUpToTheBound() {
    Occupancy<String> small = new Occupancy<>(2);
    small.joined("nodeA", "a");
    small.joined("nodeA", "b");
    assertTrue(small.joined("nodeA", "c").isEmpty(), "a third user is a member, not counted as a user");
    assertEquals(3, small.members());
    assertEquals(2, small.users());
  }

  private static Occupancy.Changes sorted(Occupancy.Changes c) {
    return new Occupancy.Changes(c.occupied(), c.vacated(), c.arrived().stream().sorted().toList(), c.gone().stream().sorted().toList());
  }
}
