package dev.chorus.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Members counted by status, every status present from the start, Pekko's names as labels. */
class ClusterMembersTest {

  @Test
  void countsMembersByStatusWithEveryStatusPresent() {
    ClusterMembers m = ClusterMembers.count(List.of("Up", "Up", "WeaklyUp", "Leaving", "Up"), 1);
    assertEquals(3, m.members("up"));
    assertEquals(1, m.members("weakly_up"));
    assertEquals(1, m.members("leaving"));
    assertEquals(0, m.members("down"), "a status without members is 0, not missing");
    assertEquals(ClusterMembers.STATUSES.size(), m.byStatus().size());
    assertEquals(1, m.unreachable());
  }

  @Test
  void aNodeOutsideAClusterHasNoMembers() {
    assertEquals(0, ClusterMembers.NONE.members("up"));
    assertEquals(0, ClusterMembers.NONE.unreachable());
    assertEquals(ClusterMembers.STATUSES.size(), ClusterMembers.NONE.byStatus().size());
  }

  @Test
  void pekkoStatusNamesBecomeSnakeCaseLabels() {
    assertEquals("up", ClusterMembers.label("Up"));
    assertEquals("weakly_up", ClusterMembers.label("WeaklyUp"));
    assertEquals("preparing_for_shutdown", ClusterMembers.label("PreparingForShutdown"));
    assertEquals("ready_for_shutdown", ClusterMembers.label("ReadyForShutdown"));
    for (String label : ClusterMembers.STATUSES) assertEquals(label, ClusterMembers.label(label), "a label stays itself");
  }
}
