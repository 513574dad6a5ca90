package dev.chorus.auth;

import java.util.ArrayList;
import java.util.List;

/**
 * One topic pattern of a token's {@code topics} claim, parsed once when the token is verified
 * rather than at every join. A pattern is literal text with any number of {@code {sub}}
 * placeholders, which stand for the token's subject, and at most one {@code *}, at the very end,
 * which stands for any suffix: {@code room:*}, {@code user:{sub}}, {@code {sub}:*}, or an exact
 * topic. A {@code *} anywhere else is literal text ({@code a*b} matches only {@code a*b}).
 *
 * <p>The subject is matched literally where {@code {sub}} stands: it is never read as a
 * pattern itself. A token whose subject is {@code *} may join {@code room:dm-*} through
 * {@code room:dm-{sub}}, but not {@code room:dm-bob} (replacing {@code {sub}} by the subject
 * and reading the result as a pattern would let it in), and a subject containing {@code {sub}}
 * is no placeholder either.
 *
 * @param literals the literal text around the placeholders: n placeholders, n + 1 literals
 * @param prefix whether the pattern ended with {@code *}: the topic may go on after the match
 */
public record TopicPattern(List<String> literals, boolean prefix) {
  private static final String SUBJECT = "{sub}";

  public TopicPattern {
    if (literals.isEmpty()) throw new IllegalArgumentException("a pattern has at least one literal");
    literals = List.copyOf(literals);
  }

  public static TopicPattern parse(String pattern) {
    boolean prefix = pattern.endsWith("*");
    String body = prefix ? pattern.substring(0, pattern.length() - 1) : pattern;
    List<String> literals = new ArrayList<>();
    int from = 0;
    for (int at = body.indexOf(SUBJECT); at >= 0; at = body.indexOf(SUBJECT, from)) {
      literals.add(body.substring(from, at));
      from = at + SUBJECT.length();
    }
    literals.add(body.substring(from));
    return new TopicPattern(literals, prefix);
  }

  public static List<TopicPattern> parseAll(List<String> patterns) {
    List<TopicPattern> parsed = new ArrayList<>(patterns.size());
    for (String p : patterns) parsed.add(parse(p));
    return List.copyOf(parsed);
  }

  /** Whether {@code topic} matches, with {@code subject} where the pattern says {@code {sub}}. */
  public boolean matches(String topic, String subject) {
    int at = 0;
    for (int i = 0; i < literals.size(); i++) {
      if (i > 0) {
        if (!topic.startsWith(subject, at)) return false;
        at += subject.length();
      }
      String literal = literals.get(i);
      if (!topic.startsWith(literal, at)) return false;
      at += literal.length();
    }
    return prefix || at == topic.length();
  }
}
