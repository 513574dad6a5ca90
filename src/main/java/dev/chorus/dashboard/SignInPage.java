package dev.chorus.dashboard;

/**
 * The sign-in form of the dashboard, with an optional line above it (a wrong key, too many
 * tries, the dashboard being off). Self-contained: no script, its style inline, so that it shows
 * the same whatever the app's files are.
 */
final class SignInPage {
  private SignInPage() {}

  /** The page; {@code message} is one of this package's constant texts, escaped all the same. */
  static String render(String message, boolean formShown) {
    StringBuilder b = new StringBuilder(1500);
    b.append("""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Chorus dashboard: sign in</title>
        <style>
          body { font-family: system-ui, sans-serif; background: #f4f5f7; margin: 0; display: flex;
                 min-height: 100vh; align-items: center; justify-content: center; }
          form, .box { background: #fff; padding: 1.5rem; border-radius: 8px; box-shadow: 0 1px 4px #0002;
                       width: min(22rem, 90vw); }
          h1 { font-size: 1.2rem; margin: 0 0 1rem; }
          input, button { font: inherit; width: 100%; box-sizing: border-box; padding: .5rem; margin-top: .5rem; }
          button { background: #3b5bdb; color: #fff; border: 0; border-radius: 4px; cursor: pointer; }
          .message { color: #c92a2a; margin: 0 0 .5rem; }
        </style>
        </head>
        <body>
        """);
    b.append(formShown ? "<form method=\"post\" action=\"/dashboard/login\" id=\"sign-in\">\n" : "<div class=\"box\">\n");
    b.append("<h1>Chorus dashboard</h1>\n");
    if (message != null) b.append("<p class=\"message\" id=\"sign-in-message\">").append(escape(message)).append("</p>\n");
    if (formShown) {
      b.append("""
          <label for="key">Admin key</label>
          <input type="password" id="key" name="key" autocomplete="current-password" required autofocus>
          <button type="submit">Sign in</button>
          </form>
          """);
    } else {
      b.append("</div>\n");
    }
    b.append("</body>\n</html>\n");
    return b.toString();
  }

  static String escape(String text) {
    StringBuilder b = new StringBuilder(text.length());
    for (char c : text.toCharArray()) {
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }
}
