/* sy-markdown-view.c — Markdown shown as rich text (md4c), code blocks in GtkSourceView.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-gui"

#include "config.h"

#include <string.h>
#include <adwaita.h>
#include <glib/gi18n.h>
#include <gtksourceview/gtksource.h>
#include <md4c.h>

#include "sy-markdown-view.h"

/* The answer is a column of blocks: runs of prose share one GtkTextView, each
 * code block is its own GtkSourceView (the width of the column, wrapped), and a
 * thematic break is a separator. */
typedef enum {
  SEGMENT_PROSE,
  SEGMENT_CODE,
  SEGMENT_RULE,
} SegmentKind;

typedef struct {
  int   start;     /* character offsets in the prose buffer */
  int   end;
  char *href;
} Link;

typedef struct {
  SegmentKind    kind;
  GtkWidget     *widget;     /* a child of the view */
  GtkTextView   *text_view;  /* prose: the view; code: the source view */
  GtkTextBuffer *buffer;
  GArray        *links;      /* prose: Link */
  char          *language;   /* code: the fence's language, may be NULL */
} Segment;

#define MAX_INDENT 6

struct _SyMarkdownView
{
  GtkWidget        parent_instance;

  /* owned references */
  GtkTextTagTable *tags;
  GPtrArray       *segments;           /* Segment * */
  GString         *text;               /* the Markdown shown */
  GString         *tail_code;          /* the open code block's text shown, fast path */

  /* state */
  GtkTextTag      *link_tag;
  GtkTextTag      *indent_tags[MAX_INDENT];
  gsize            committed;          /* bytes of text rendered for good */
  guint            committed_segments; /* segments made from them */
  int              tail_offset;        /* where the rest starts in the last committed
                                          prose segment; -1: in segments of its own */
  guint            tail_links;
  gboolean         tail_is_code;       /* the rest is one open fenced code block */
  guint            resize_id;
};

G_DEFINE_FINAL_TYPE (SyMarkdownView, sy_markdown_view, GTK_TYPE_WIDGET)

/* ------------------------------------------------------------------ segments */

static void
link_clear (Link *link)
{
  g_free (link->href);
}

static void
segment_free (Segment *segment)
{
  gtk_widget_unparent (segment->widget);
  g_clear_pointer (&segment->links, g_array_unref);
  g_free (segment->language);
  g_free (segment);
}

static GtkSourceStyleScheme *
current_scheme (void)
{
  AdwStyleManager *manager = adw_style_manager_get_default ();

  return gtk_source_style_scheme_manager_get_scheme (gtk_source_style_scheme_manager_get_default (),
                                                     adw_style_manager_get_dark (manager)
                                                       ? "Adwaita-dark" : "Adwaita");
}

static void
style_changed (SyMarkdownView *self)
{
  gboolean dark = adw_style_manager_get_dark (adw_style_manager_get_default ());
  GdkRGBA link_color;

  /* Adwaita's link colours (the accent blue, lighter on dark). */
  gdk_rgba_parse (&link_color, dark ? "#78aeed" : "#1c71d8");
  g_object_set (self->link_tag, "foreground-rgba", &link_color, NULL);
  for (guint i = 0; i < self->segments->len; i++)
    {
      Segment *segment = g_ptr_array_index (self->segments, i);

      if (segment->kind == SEGMENT_CODE)
        gtk_source_buffer_set_style_scheme (GTK_SOURCE_BUFFER (segment->buffer), current_scheme ());
    }
}

static const char *
link_at (Segment *segment,
         int      offset)
{
  for (guint i = 0; i < segment->links->len; i++)
    {
      Link *link = &g_array_index (segment->links, Link, i);

      if (offset >= link->start && offset < link->end)
        return link->href;
    }
  return NULL;
}

static const char *
link_at_point (GtkTextView *view,
               double       x,
               double       y)
{
  Segment *segment = g_object_get_data (G_OBJECT (view), "sy-segment");
  GtkTextIter iter;
  int bx, by;

  gtk_text_view_window_to_buffer_coords (view, GTK_TEXT_WINDOW_WIDGET, (int) x, (int) y, &bx, &by);
  if (!gtk_text_view_get_iter_at_location (view, &iter, bx, by))
    return NULL;
  return link_at (segment, gtk_text_iter_get_offset (&iter));
}

static void
prose_released (GtkGestureClick *gesture,
                int              n_press,
                double           x,
                double           y,
                gpointer         data)
{
  GtkTextView *view = GTK_TEXT_VIEW (gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (gesture)));
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (view));
  const char *href;

  /* A drag that selected text is not a click on a link. */
  if (gtk_text_buffer_get_has_selection (gtk_text_view_get_buffer (view)))
    return;
  href = link_at_point (view, x, y);
  if (href != NULL && (g_str_has_prefix (href, "https://") || g_str_has_prefix (href, "http://") ||
                       g_str_has_prefix (href, "mailto:")))
    gtk_show_uri (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, href, GDK_CURRENT_TIME);
}

static void
prose_motion (GtkEventControllerMotion *motion,
              double                    x,
              double                    y,
              gpointer                  data)
{
  GtkWidget *view = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (motion));

  gtk_widget_set_cursor_from_name (view, link_at_point (GTK_TEXT_VIEW (view), x, y) != NULL ? "pointer" : NULL);
}

static Segment *
add_prose (SyMarkdownView *self)
{
  Segment *segment = g_new0 (Segment, 1);
  GtkGesture *click = gtk_gesture_click_new ();
  GtkEventController *motion = gtk_event_controller_motion_new ();

  segment->kind = SEGMENT_PROSE;
  segment->buffer = gtk_text_buffer_new (self->tags);
  segment->links = g_array_new (FALSE, TRUE, sizeof (Link));
  g_array_set_clear_func (segment->links, (GDestroyNotify) link_clear);
  segment->widget = gtk_text_view_new_with_buffer (segment->buffer);
  g_object_unref (segment->buffer);
  segment->text_view = GTK_TEXT_VIEW (segment->widget);
  gtk_text_view_set_editable (segment->text_view, FALSE);
  gtk_text_view_set_cursor_visible (segment->text_view, FALSE);
  gtk_text_view_set_wrap_mode (segment->text_view, GTK_WRAP_WORD_CHAR);
  gtk_widget_add_css_class (segment->widget, "markdown");
  g_object_set_data (G_OBJECT (segment->widget), "sy-segment", segment);

  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_PRIMARY);
  g_signal_connect (click, "released", G_CALLBACK (prose_released), NULL);
  gtk_widget_add_controller (segment->widget, GTK_EVENT_CONTROLLER (click));
  g_signal_connect (motion, "motion", G_CALLBACK (prose_motion), NULL);
  gtk_widget_add_controller (segment->widget, motion);

  gtk_widget_set_parent (segment->widget, GTK_WIDGET (self));
  g_ptr_array_add (self->segments, segment);
  return segment;
}

static void
copy_code (GtkButton *button,
           Segment   *segment)
{
  GtkTextIter start, end;
  g_autofree char *text = NULL;

  gtk_text_buffer_get_bounds (segment->buffer, &start, &end);
  text = gtk_text_buffer_get_text (segment->buffer, &start, &end, FALSE);
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (button)), text);
}

static const struct {
  const char *alias;
  const char *id;
} language_aliases[] = {
  { "js", "javascript" }, { "node", "javascript" }, { "mjs", "javascript" },
  { "ts", "typescript" }, { "tsx", "typescript-jsx" },
  { "py", "python3" }, { "python", "python3" },
  { "bash", "sh" }, { "shell", "sh" }, { "zsh", "sh" }, { "console", "sh" }, { "shellsession", "sh" },
  { "c++", "cpp" }, { "cc", "cpp" }, { "cxx", "cpp" }, { "hpp", "cpp" }, { "h", "c" },
  { "rs", "rust" }, { "rb", "ruby" }, { "yml", "yaml" }, { "md", "markdown" },
  { "cs", "csharp" }, { "c#", "csharp" }, { "kt", "kotlin" }, { "golang", "go" },
  { "dockerfile", "docker" }, { "make", "makefile" }, { "objective-c", "objc" },
  { "ps1", "powershell" }, { "tex", "latex" }, { "proto", "protobuf" }, { "tf", "terraform" },
  { "hcl", "terraform" }, { "jsonc", "json" }, { "svg", "xml" }, { "htm", "html" },
};

static GtkSourceLanguage *
language_for (const char *name)
{
  GtkSourceLanguageManager *manager = gtk_source_language_manager_get_default ();
  g_autofree char *id = NULL;

  if (name == NULL || *name == '\0')
    return NULL;
  id = g_ascii_strdown (name, -1);
  for (guint i = 0; i < G_N_ELEMENTS (language_aliases); i++)
    if (g_str_equal (id, language_aliases[i].alias))
      return gtk_source_language_manager_get_language (manager, language_aliases[i].id);
  return gtk_source_language_manager_get_language (manager, id);
}

static Segment *
add_code (SyMarkdownView *self,
          const char     *language,
          const char     *text,
          gssize          length)
{
  Segment *segment = g_new0 (Segment, 1);
  GtkSourceLanguage *source_language = language_for (language);
  GtkWidget *header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *label = gtk_label_new (NULL);
  GtkWidget *copy = gtk_button_new_from_icon_name ("edit-copy-symbolic");
  GtkSourceBuffer *buffer;
  GtkWidget *view;
  g_autofree char *view_name = NULL;

  segment->kind = SEGMENT_CODE;
  segment->language = g_strdup (language != NULL && *language != '\0' ? language : NULL);
  buffer = gtk_source_buffer_new (NULL);
  segment->buffer = GTK_TEXT_BUFFER (buffer);
  gtk_source_buffer_set_language (buffer, source_language);
  gtk_source_buffer_set_highlight_syntax (buffer, TRUE);
  gtk_source_buffer_set_style_scheme (buffer, current_scheme ());
  if (text != NULL)
    gtk_text_buffer_set_text (segment->buffer, text, length);

  view = gtk_source_view_new_with_buffer (buffer);
  g_object_unref (buffer);
  segment->text_view = GTK_TEXT_VIEW (view);
  gtk_text_view_set_editable (segment->text_view, FALSE);
  gtk_text_view_set_cursor_visible (segment->text_view, FALSE);
  gtk_text_view_set_monospace (segment->text_view, TRUE);
  gtk_text_view_set_wrap_mode (segment->text_view, GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_left_margin (segment->text_view, 10);
  gtk_text_view_set_right_margin (segment->text_view, 10);
  gtk_text_view_set_top_margin (segment->text_view, 4);
  gtk_text_view_set_bottom_margin (segment->text_view, 8);
  view_name = segment->language != NULL ? g_strdup_printf (_("Code in %s"), segment->language)
                                        : g_strdup (_("Code"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (view), GTK_ACCESSIBLE_PROPERTY_LABEL, view_name, -1);

  gtk_label_set_text (GTK_LABEL (label), segment->language != NULL ? segment->language : "");
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_widget_add_css_class (label, "caption");
  gtk_widget_add_css_class (label, "dim-label");
  gtk_widget_add_css_class (copy, "flat");
  gtk_widget_set_tooltip_text (copy, _("Copy Code"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (copy), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Copy Code"), -1);
  g_signal_connect (copy, "clicked", G_CALLBACK (copy_code), segment);
  gtk_widget_set_margin_start (header, 10);
  gtk_widget_set_margin_end (header, 2);
  gtk_widget_set_margin_top (header, 2);
  gtk_box_append (GTK_BOX (header), label);
  gtk_box_append (GTK_BOX (header), copy);

  segment->widget = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_add_css_class (segment->widget, "code-block");
  gtk_box_append (GTK_BOX (segment->widget), header);
  gtk_box_append (GTK_BOX (segment->widget), view);
  gtk_widget_set_parent (segment->widget, GTK_WIDGET (self));
  g_ptr_array_add (self->segments, segment);
  return segment;
}

static void
add_rule (SyMarkdownView *self)
{
  Segment *segment = g_new0 (Segment, 1);

  segment->kind = SEGMENT_RULE;
  segment->widget = gtk_separator_new (GTK_ORIENTATION_HORIZONTAL);
  gtk_widget_set_margin_top (segment->widget, 6);
  gtk_widget_set_margin_bottom (segment->widget, 6);
  gtk_widget_set_parent (segment->widget, GTK_WIDGET (self));
  g_ptr_array_add (self->segments, segment);
}

/* ------------------------------------------------------------------- render */

typedef struct {
  gboolean ordered;
  guint    number;
} ListLevel;

typedef struct {
  Segment    *segment;
  int         offset;
  GtkTextTag *tag;
  GtkTextTag *extra;      /* a second tag (quote, table header), may be NULL */
} BlockStart;

typedef struct {
  SyMarkdownView *self;
  Segment        *prose;       /* where text goes; NULL until some does */
  GPtrArray      *spans;       /* GtkTextTag *, applied to what is inserted */
  GArray         *lists;       /* ListLevel */
  GArray         *blocks;      /* BlockStart */
  guint           quote_depth;
  gboolean        item_open;   /* a list item's first block continues its bullet line */
  gboolean        in_code;
  GString        *code;
  char           *code_language;
  gboolean        in_head;     /* table header row */
  guint           cell;
  GPtrArray      *hrefs;       /* open links' targets, with their start offsets */
  GArray         *href_starts;
} Render;

static GtkTextTag *
lookup_tag (Render     *r,
     const char *name)
{
  return gtk_text_tag_table_lookup (r->self->tags, name);
}

static Segment *
ensure_prose (Render *r)
{
  if (r->prose == NULL)
    r->prose = add_prose (r->self);
  return r->prose;
}

static int
prose_length (Render *r)
{
  return gtk_text_buffer_get_char_count (ensure_prose (r)->buffer);
}

static void
insert (Render     *r,
        const char *text,
        gsize       length)
{
  GtkTextBuffer *buffer = ensure_prose (r)->buffer;
  GtkTextIter start, end;
  int offset;

  if (length == 0)
    return;
  gtk_text_buffer_get_end_iter (buffer, &end);
  offset = gtk_text_iter_get_offset (&end);
  gtk_text_buffer_insert (buffer, &end, text, (int) length);
  if (r->spans->len == 0)
    return;
  gtk_text_buffer_get_iter_at_offset (buffer, &start, offset);
  gtk_text_buffer_get_end_iter (buffer, &end);
  for (guint i = 0; i < r->spans->len; i++)
    gtk_text_buffer_apply_tag (buffer, g_ptr_array_index (r->spans, i), &start, &end);
}

/* Blocks are separated by a newline before each one but the first: no blank
 * line is left at the end of the view. */
static void
new_line (Render *r)
{
  if (prose_length (r) > 0)
    {
      GtkTextIter end;

      gtk_text_buffer_get_end_iter (r->prose->buffer, &end);
      gtk_text_buffer_insert (r->prose->buffer, &end, "\n", 1);
    }
}

static void
push_block (Render     *r,
            GtkTextTag *block_tag,
            GtkTextTag *extra)
{
  BlockStart start = { ensure_prose (r), prose_length (r), block_tag, extra };

  g_array_append_val (r->blocks, start);
}

static void
pop_block (Render *r)
{
  BlockStart start;
  GtkTextIter from, to;

  g_assert (r->blocks->len > 0);
  start = g_array_index (r->blocks, BlockStart, r->blocks->len - 1);
  g_array_set_size (r->blocks, r->blocks->len - 1);
  if (r->prose == NULL)
    return;
  /* A block that a code block split goes on in the next prose segment. */
  gtk_text_buffer_get_iter_at_offset (r->prose->buffer, &from, r->prose == start.segment ? start.offset : 0);
  gtk_text_buffer_get_end_iter (r->prose->buffer, &to);
  if (start.tag != NULL)
    gtk_text_buffer_apply_tag (r->prose->buffer, start.tag, &from, &to);
  if (start.extra != NULL)
    gtk_text_buffer_apply_tag (r->prose->buffer, start.extra, &from, &to);
}

static gboolean
decode_entity (const char *text,
               gsize       length,
               GString    *out)
{
  static const struct {
    const char *name;
    const char *text;
  } named[] = {
    { "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" }, { "&quot;", "\"" }, { "&apos;", "'" },
    { "&nbsp;", "\u00a0" }, { "&copy;", "©" }, { "&reg;", "®" }, { "&trade;", "™" },
    { "&hellip;", "…" }, { "&mdash;", "—" }, { "&ndash;", "–" }, { "&laquo;", "«" },
    { "&raquo;", "»" }, { "&times;", "×" }, { "&deg;", "°" }, { "&rarr;", "→" }, { "&larr;", "←" },
  };

  if (length > 3 && text[1] == '#')
    {
      gboolean hex = text[2] == 'x' || text[2] == 'X';
      g_autofree char *digits = g_strndup (text + (hex ? 3 : 2), length - (hex ? 4 : 3));
      char *end = NULL;
      guint64 code = g_ascii_strtoull (digits, &end, hex ? 16 : 10);
      char utf8[6];

      if (end == NULL || *end != '\0' || code == 0 || code > 0x10FFFF || !g_unichar_validate ((gunichar) code))
        code = 0xFFFD;
      g_string_append_len (out, utf8, g_unichar_to_utf8 ((gunichar) code, utf8));
      return TRUE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (named); i++)
    if (strlen (named[i].name) == length && strncmp (named[i].name, text, length) == 0)
      {
        g_string_append (out, named[i].text);
        return TRUE;
      }
  return FALSE;
}

static char *
attribute_text (const MD_ATTRIBUTE *attribute)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; attribute->substr_offsets != NULL && attribute->substr_offsets[i] < attribute->size; i++)
    {
      const char *piece = attribute->text + attribute->substr_offsets[i];
      gsize length = attribute->substr_offsets[i + 1] - attribute->substr_offsets[i];

      if (attribute->substr_types[i] == MD_TEXT_NULLCHAR)
        g_string_append (out, "\uFFFD");
      else if (attribute->substr_types[i] != MD_TEXT_ENTITY || !decode_entity (piece, length, out))
        g_string_append_len (out, piece, length);
    }
  return g_string_free (out, FALSE);
}

static GtkTextTag *
indent_tag (Render *r)
{
  return r->self->indent_tags[MIN (r->lists->len, MAX_INDENT) - 1];
}

static int
enter_block (MD_BLOCKTYPE type,
             void        *detail,
             void        *data)
{
  Render *r = data;

  switch (type)
    {
    case MD_BLOCK_QUOTE:
      r->quote_depth++;
      break;

    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
      {
        ListLevel level = { type == MD_BLOCK_OL, type == MD_BLOCK_OL ? ((MD_BLOCK_OL_DETAIL *) detail)->start : 0 };
        g_array_append_val (r->lists, level);
      }
      break;

    case MD_BLOCK_LI:
      {
        MD_BLOCK_LI_DETAIL *li = detail;
        ListLevel *level = &g_array_index (r->lists, ListLevel, r->lists->len - 1);
        g_autofree char *bullet = NULL;

        new_line (r);
        push_block (r, indent_tag (r), lookup_tag (r, "item"));
        if (li->is_task)
          bullet = g_strdup (li->task_mark == ' ' ? "☐ " : "☑ ");
        else if (level->ordered)
          bullet = g_strdup_printf ("%u. ", level->number++);
        else
          bullet = g_strdup (r->lists->len % 2 == 1 ? "• " : "◦ ");
        insert (r, bullet, strlen (bullet));
        r->item_open = TRUE;
      }
      break;

    case MD_BLOCK_HR:
      r->item_open = FALSE;
      add_rule (r->self);
      r->prose = NULL;
      break;

    case MD_BLOCK_H:
      {
        g_autofree char *name = g_strdup_printf ("h%u", CLAMP (((MD_BLOCK_H_DETAIL *) detail)->level, 1, 6));

        if (!r->item_open)
          new_line (r);
        r->item_open = FALSE;
        push_block (r, lookup_tag (r, name), r->quote_depth > 0 ? lookup_tag (r, "quote") : NULL);
      }
      break;

    case MD_BLOCK_CODE:
      {
        MD_BLOCK_CODE_DETAIL *code = detail;

        r->item_open = FALSE;
        r->in_code = TRUE;
        g_string_truncate (r->code, 0);
        g_clear_pointer (&r->code_language, g_free);
        if (code->fence_char != 0)
          r->code_language = attribute_text (&code->lang);
      }
      break;

    case MD_BLOCK_HTML:
    case MD_BLOCK_P:
      if (!r->item_open)
        new_line (r);
      r->item_open = FALSE;
      push_block (r, lookup_tag (r, "para"), r->quote_depth > 0 ? lookup_tag (r, "quote") : NULL);
      break;

    case MD_BLOCK_THEAD:
      r->in_head = TRUE;
      break;

    case MD_BLOCK_TBODY:
      r->in_head = FALSE;
      break;

    case MD_BLOCK_TR:
      new_line (r);
      r->cell = 0;
      push_block (r, lookup_tag (r, "row"), r->in_head ? lookup_tag (r, "strong") : NULL);
      break;

    case MD_BLOCK_TH:
    case MD_BLOCK_TD:
      if (r->cell++ > 0)
        insert (r, "  │  ", strlen ("  │  "));
      break;

    case MD_BLOCK_DOC:
    case MD_BLOCK_TABLE:
    default:
      break;
    }
  return 0;
}

static int
leave_block (MD_BLOCKTYPE type,
             void        *detail,
             void        *data)
{
  Render *r = data;

  switch (type)
    {
    case MD_BLOCK_QUOTE:
      r->quote_depth--;
      break;

    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
      g_array_set_size (r->lists, r->lists->len - 1);
      break;

    case MD_BLOCK_LI:
      r->item_open = FALSE;
      pop_block (r);
      break;

    case MD_BLOCK_H:
    case MD_BLOCK_HTML:
    case MD_BLOCK_P:
    case MD_BLOCK_TR:
      pop_block (r);
      break;

    case MD_BLOCK_CODE:
      {
        gsize length = r->code->len;

        /* Every line of a code block ends with a newline; the view needs no last one. */
        if (length > 0 && r->code->str[length - 1] == '\n')
          length--;
        r->in_code = FALSE;
        add_code (r->self, r->code_language, r->code->str, (gssize) length);
        r->prose = NULL;
      }
      break;

    default:
      break;
    }
  return 0;
}

static int
enter_span (MD_SPANTYPE type,
            void       *detail,
            void       *data)
{
  Render *r = data;
  const char *name = NULL;

  switch (type)
    {
    case MD_SPAN_EM:
    case MD_SPAN_IMG:   /* its alternative text */
      name = "em";
      break;
    case MD_SPAN_STRONG:
      name = "strong";
      break;
    case MD_SPAN_DEL:
      name = "del";
      break;
    case MD_SPAN_U:
      name = "underline";
      break;
    case MD_SPAN_CODE:
    case MD_SPAN_LATEXMATH:
    case MD_SPAN_LATEXMATH_DISPLAY:
      name = "code";
      break;
    case MD_SPAN_A:
    case MD_SPAN_WIKILINK:
      {
        int start = prose_length (r);

        g_ptr_array_add (r->hrefs, type == MD_SPAN_A ? attribute_text (&((MD_SPAN_A_DETAIL *) detail)->href)
                                                     : attribute_text (&((MD_SPAN_WIKILINK_DETAIL *) detail)->target));
        g_array_append_val (r->href_starts, start);
        g_ptr_array_add (r->spans, r->self->link_tag);
      }
      return 0;
    default:
      return 0;
    }
  g_ptr_array_add (r->spans, lookup_tag (r, name));
  return 0;
}

static int
leave_span (MD_SPANTYPE type,
            void       *detail,
            void       *data)
{
  Render *r = data;

  switch (type)
    {
    case MD_SPAN_EM:
    case MD_SPAN_IMG:
    case MD_SPAN_STRONG:
    case MD_SPAN_DEL:
    case MD_SPAN_U:
    case MD_SPAN_CODE:
    case MD_SPAN_LATEXMATH:
    case MD_SPAN_LATEXMATH_DISPLAY:
      if (r->spans->len > 0)
        g_ptr_array_remove_index (r->spans, r->spans->len - 1);
      break;
    case MD_SPAN_A:
    case MD_SPAN_WIKILINK:
      if (r->hrefs->len > 0)
        {
          Link link;

          link.start = g_array_index (r->href_starts, int, r->href_starts->len - 1);
          link.end = prose_length (r);
          link.href = g_ptr_array_steal_index (r->hrefs, r->hrefs->len - 1);
          g_array_set_size (r->href_starts, r->href_starts->len - 1);
          g_array_append_val (r->prose->links, link);
          g_ptr_array_remove (r->spans, r->self->link_tag);
        }
      break;
    default:
      break;
    }
  return 0;
}

static int
on_text (MD_TEXTTYPE    type,
      const MD_CHAR *chars,
      MD_SIZE        size,
      void          *data)
{
  Render *r = data;

  if (r->in_code)
    {
      g_string_append_len (r->code, chars, size);
      return 0;
    }
  switch (type)
    {
    case MD_TEXT_NULLCHAR:
      insert (r, "\uFFFD", strlen ("\uFFFD"));
      break;
    case MD_TEXT_BR:
      insert (r, "\n", 1);
      break;
    case MD_TEXT_SOFTBR:
      insert (r, " ", 1);
      break;
    case MD_TEXT_ENTITY:
      {
        g_autoptr(GString) decoded = g_string_new (NULL);

        if (decode_entity (chars, size, decoded))
          insert (r, decoded->str, decoded->len);
        else
          insert (r, chars, size);
      }
      break;
    default:
      insert (r, chars, size);
      break;
    }
  return 0;
}

static void
render (SyMarkdownView *self,
        const char     *markdown,
        gsize           length)
{
  static const MD_PARSER parser = {
    0,
    MD_FLAG_TABLES | MD_FLAG_STRIKETHROUGH | MD_FLAG_TASKLISTS | MD_FLAG_PERMISSIVEURLAUTOLINKS |
      MD_FLAG_PERMISSIVEWWWAUTOLINKS | MD_FLAG_NOHTMLSPANS,
    enter_block, leave_block, enter_span, leave_span, on_text, NULL, NULL,
  };
  Render r = { 0 };
  Segment *last = self->segments->len > 0 ? g_ptr_array_index (self->segments, self->segments->len - 1) : NULL;

  if (length == 0)
    return;
  r.self = self;
  r.prose = last != NULL && last->kind == SEGMENT_PROSE ? last : NULL;
  r.spans = g_ptr_array_new ();
  r.lists = g_array_new (FALSE, FALSE, sizeof (ListLevel));
  r.blocks = g_array_new (FALSE, FALSE, sizeof (BlockStart));
  r.code = g_string_new (NULL);
  r.hrefs = g_ptr_array_new_with_free_func (g_free);
  r.href_starts = g_array_new (FALSE, FALSE, sizeof (int));

  md_parse (markdown, (MD_SIZE) length, &parser, &r);

  g_ptr_array_unref (r.spans);
  g_array_unref (r.lists);
  g_array_unref (r.blocks);
  g_string_free (r.code, TRUE);
  g_free (r.code_language);
  g_ptr_array_unref (r.hrefs);
  g_array_unref (r.href_starts);
}

/* ------------------------------------------------------------ streaming */

typedef struct {
  const char *start;     /* the line */
  gsize       length;    /* without its newline */
  gboolean    complete;  /* ends with a newline */
} Line;

static gboolean
next_line (const char *text,
           gsize       end,
           gsize      *position,
           Line       *line)
{
  const char *newline;

  if (*position >= end)
    return FALSE;
  line->start = text + *position;
  newline = memchr (line->start, '\n', end - *position);
  line->complete = newline != NULL;
  line->length = newline != NULL ? (gsize) (newline - line->start) : end - *position;
  *position += line->length + (line->complete ? 1 : 0);
  return TRUE;
}

static gsize
indentation (const Line *line)
{
  gsize n = 0;

  while (n < line->length && (line->start[n] == ' ' || line->start[n] == '\t'))
    n++;
  return n;
}

static gboolean
is_blank (const Line *line)
{
  return indentation (line) == line->length;
}

/* A fence opener (``` or ~~~, three or more) after @indent: its character and length. */
static gboolean
fence_opener (const Line *line,
              gsize       indent,
              char       *fence_char,
              gsize      *fence_length)
{
  const char *p = line->start + indent;
  gsize left = line->length - indent;
  gsize n = 0;

  if (left < 3 || (p[0] != '`' && p[0] != '~'))
    return FALSE;
  while (n < left && p[n] == p[0])
    n++;
  if (n < 3)
    return FALSE;
  /* A backtick fence's info string has no backtick (CommonMark 4.5). */
  if (p[0] == '`' && memchr (p + n, '`', left - n) != NULL)
    return FALSE;
  *fence_char = p[0];
  *fence_length = n;
  return TRUE;
}

static gboolean
fence_closer (const Line *line,
              char        fence_char,
              gsize       fence_length)
{
  gsize indent = indentation (line);
  gsize n = 0;

  while (indent + n < line->length && line->start[indent + n] == fence_char)
    n++;
  if (n < fence_length)
    return FALSE;
  for (gsize i = indent + n; i < line->length; i++)
    if (line->start[i] != ' ' && line->start[i] != '\t' && line->start[i] != '\r')
      return FALSE;
  return TRUE;
}

/* Where the blocks that more text cannot change end, from @from (a block
 * boundary): before a line that starts in the first column after a blank line,
 * or after a code fence that closed in the first column; never inside a fence. */
static gsize
stable_end (const char *markdown,
            gsize       from,
            gsize       length)
{
  gsize position = from;
  gsize stable = from;
  gboolean blank_before = FALSE;
  gboolean in_fence = FALSE;
  gboolean fence_at_margin = FALSE;
  char fence_char = 0;
  gsize fence_length = 0;
  Line line;

  while (TRUE)
    {
      gsize line_start = position;
      gsize indent;

      if (!next_line (markdown, length, &position, &line))
        break;
      indent = indentation (&line);
      if (!in_fence && blank_before && line.length > 0 && indent == 0)
        stable = line_start;
      if (!line.complete)
        break;

      if (in_fence)
        {
          if (fence_closer (&line, fence_char, fence_length))
            {
              in_fence = FALSE;
              if (fence_at_margin && indent == 0)
                stable = position;
            }
          blank_before = FALSE;
          continue;
        }
      if (fence_opener (&line, indent, &fence_char, &fence_length))
        {
          in_fence = TRUE;
          fence_at_margin = indent == 0;
          blank_before = FALSE;
          continue;
        }
      blank_before = is_blank (&line);
    }
  return stable;
}

/* When @tail is a code fence at the margin whose opening line is complete and
 * that is not closed yet: its language and the code so far. A last line that
 * may be the start of the closing fence is held back. */
static gboolean
open_fence (const char  *tail,
            gsize        length,
            char       **language,
            GString     *code)
{
  gsize position = 0;
  char fence_char;
  gsize fence_length;
  Line line;
  const char *info;
  gsize info_start, info_end;
  gsize code_start;

  if (!next_line (tail, length, &position, &line) || !line.complete ||
      !fence_opener (&line, 0, &fence_char, &fence_length))
    return FALSE;
  info_start = fence_length;
  while (info_start < line.length && (line.start[info_start] == ' ' || line.start[info_start] == '\t'))
    info_start++;
  info_end = info_start;
  while (info_end < line.length && !g_ascii_isspace (line.start[info_end]))
    info_end++;
  info = line.start + info_start;

  code_start = position;
  g_string_truncate (code, 0);
  while (next_line (tail, length, &position, &line))
    {
      if (fence_closer (&line, fence_char, fence_length))
        return FALSE;
      if (!line.complete)
        {
          gboolean fence_like = line.length > 0;

          for (gsize i = 0; i < line.length; i++)
            fence_like = fence_like && (line.start[i] == fence_char || line.start[i] == ' ');
          if (fence_like)
            position -= line.length;
          break;
        }
    }
  g_string_append_len (code, tail + code_start, position - code_start);
  if (code->len > 0 && code->str[code->len - 1] == '\n')
    g_string_truncate (code, code->len - 1);
  *language = g_strndup (info, info_end - info_start);
  return TRUE;
}

/* A prose segment at @index that nothing went into is not kept. */
static void
drop_empty_prose (SyMarkdownView *self,
                  guint           index)
{
  Segment *segment;

  if (index >= self->segments->len)
    return;
  segment = g_ptr_array_index (self->segments, index);
  if (segment->kind == SEGMENT_PROSE && gtk_text_buffer_get_char_count (segment->buffer) == 0)
    g_ptr_array_remove_index (self->segments, index);
}

static void
undo_tail (SyMarkdownView *self)
{
  Segment *spare = NULL;

  /* The rest's first segment, when it is prose, is emptied and kept: a text
   * view made anew for every delta would never have been laid out. */
  if (self->segments->len > self->committed_segments)
    {
      Segment *first = g_ptr_array_index (self->segments, self->committed_segments);

      if (first->kind == SEGMENT_PROSE)
        spare = first;
    }
  while (self->segments->len > self->committed_segments + (spare != NULL ? 1 : 0))
    g_ptr_array_remove_index (self->segments, self->segments->len - 1);
  if (spare != NULL)
    {
      gtk_text_buffer_set_text (spare->buffer, "", 0);
      g_array_set_size (spare->links, 0);
    }
  if (self->tail_offset >= 0 && self->committed_segments > 0)
    {
      Segment *last = g_ptr_array_index (self->segments, self->committed_segments - 1);
      GtkTextIter start, end;

      g_assert (last->kind == SEGMENT_PROSE);
      gtk_text_buffer_get_iter_at_offset (last->buffer, &start, self->tail_offset);
      gtk_text_buffer_get_end_iter (last->buffer, &end);
      gtk_text_buffer_delete (last->buffer, &start, &end);
      g_array_set_size (last->links, self->tail_links);
    }
  self->tail_offset = -1;
  self->tail_is_code = FALSE;
}

static void
render_tail (SyMarkdownView *self)
{
  const char *tail = self->text->str + self->committed;
  gsize length = self->text->len - self->committed;
  Segment *last = self->segments->len > 0 ? g_ptr_array_index (self->segments, self->segments->len - 1) : NULL;
  g_autofree char *language = NULL;

  self->tail_offset = -1;
  /* Without a spare segment, the rest may go on in the last committed one. */
  if (self->segments->len == self->committed_segments && last != NULL && last->kind == SEGMENT_PROSE)
    {
      self->tail_offset = gtk_text_buffer_get_char_count (last->buffer);
      self->tail_links = last->links->len;
    }
  if (open_fence (tail, length, &language, self->tail_code))
    {
      drop_empty_prose (self, self->committed_segments);
      add_code (self, language, self->tail_code->str, (gssize) self->tail_code->len);
      self->tail_is_code = TRUE;
    }
  else
    render (self, tail, length);
  drop_empty_prose (self, self->committed_segments);
}

/* GtkTextView 4.8 lays its text out in an idle after a change and does not ask
 * for a new size then: outside a scrolled window it would keep the height it
 * had (none, for a new view). Asked again once the layout is done. */
static gboolean
resize_views (gpointer data)
{
  SyMarkdownView *self = data;

  self->resize_id = 0;
  for (guint i = 0; i < self->segments->len; i++)
    {
      Segment *segment = g_ptr_array_index (self->segments, i);

      if (segment->text_view != NULL)
        gtk_widget_queue_resize (GTK_WIDGET (segment->text_view));
    }
  return G_SOURCE_REMOVE;
}

static void
queue_resize_views (SyMarkdownView *self)
{
  if (self->resize_id == 0)
    self->resize_id = g_idle_add_full (G_PRIORITY_LOW, resize_views, self, NULL);
}

/* An open code block that only grew: its new lines are appended in place. */
static gboolean
grow_code (SyMarkdownView *self)
{
  const char *tail = self->text->str + self->committed;
  gsize length = self->text->len - self->committed;
  Segment *code = g_ptr_array_index (self->segments, self->segments->len - 1);
  g_autoptr(GString) grown = g_string_new (NULL);
  g_autofree char *language = NULL;
  GtkTextIter end;

  if (!open_fence (tail, length, &language, grown) ||
      g_strcmp0 (*language != '\0' ? language : NULL, code->language) != 0 ||
      !g_str_has_prefix (grown->str, self->tail_code->str))
    return FALSE;
  gtk_text_buffer_get_end_iter (code->buffer, &end);
  gtk_text_buffer_insert (code->buffer, &end, grown->str + self->tail_code->len,
                          (int) (grown->len - self->tail_code->len));
  g_string_assign (self->tail_code, grown->str);
  return TRUE;
}

static void
clear (SyMarkdownView *self)
{
  g_ptr_array_set_size (self->segments, 0);
  g_string_truncate (self->text, 0);
  g_string_truncate (self->tail_code, 0);
  self->committed = 0;
  self->committed_segments = 0;
  self->tail_offset = -1;
  self->tail_is_code = FALSE;
}

void
sy_markdown_view_set_text (SyMarkdownView *self,
                           const char     *markdown)
{
  gsize stable;

  g_return_if_fail (SY_IS_MARKDOWN_VIEW (self));

  if (markdown == NULL)
    markdown = "";
  if (g_str_equal (markdown, self->text->str))
    return;
  if (!g_str_has_prefix (markdown, self->text->str))
    clear (self);
  g_string_assign (self->text, markdown);

  queue_resize_views (self);
  stable = stable_end (self->text->str, self->committed, self->text->len);
  if (stable == self->committed && self->tail_is_code && grow_code (self))
    return;
  undo_tail (self);
  if (stable > self->committed)
    {
      render (self, self->text->str + self->committed, stable - self->committed);
      drop_empty_prose (self, self->committed_segments);
      self->committed = stable;
      self->committed_segments = self->segments->len;
    }
  render_tail (self);
}

const char *
sy_markdown_view_get_text (SyMarkdownView *self)
{
  g_return_val_if_fail (SY_IS_MARKDOWN_VIEW (self), NULL);
  return self->text->str;
}

char *
sy_markdown_view_dup_shown_text (SyMarkdownView *self)
{
  GString *shown = g_string_new (NULL);

  g_return_val_if_fail (SY_IS_MARKDOWN_VIEW (self), NULL);

  for (guint i = 0; i < self->segments->len; i++)
    {
      Segment *segment = g_ptr_array_index (self->segments, i);

      if (i > 0)
        g_string_append_c (shown, '\n');
      if (segment->kind == SEGMENT_RULE)
        g_string_append (shown, "—");
      else
        {
          GtkTextIter start, end;
          g_autofree char *part = NULL;

          gtk_text_buffer_get_bounds (segment->buffer, &start, &end);
          part = gtk_text_buffer_get_text (segment->buffer, &start, &end, FALSE);
          g_string_append (shown, part);
        }
    }
  return g_string_free (shown, FALSE);
}

/* -------------------------------------------------------------- the widget */

static void
add_tag (SyMarkdownView *self,
         const char     *name,
         const char     *first_property,
         ...)
{
  GtkTextTag *new_tag = gtk_text_tag_new (name);
  va_list args;

  va_start (args, first_property);
  g_object_set_valist (G_OBJECT (new_tag), first_property, args);
  va_end (args);
  gtk_text_tag_table_add (self->tags, new_tag);
  g_object_unref (new_tag);
}

static void
create_tags (SyMarkdownView *self)
{
  static const double scales[] = { 1.5, 1.3, 1.15, 1.05, 1.0, 1.0 };
  GdkRGBA code_background = { 0.5, 0.5, 0.5, 0.15 };

  /* Later tags take priority: block spacing first, then indentation by depth,
   * then the spans. */
  add_tag (self, "para", "pixels-below-lines", 6, NULL);
  add_tag (self, "item", "pixels-below-lines", 2, NULL);
  add_tag (self, "row", "pixels-below-lines", 2, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (scales); i++)
    {
      g_autofree char *name = g_strdup_printf ("h%u", i + 1);

      add_tag (self, name, "weight", PANGO_WEIGHT_BOLD, "scale", scales[i],
               "pixels-above-lines", 6, "pixels-below-lines", 4, NULL);
    }
  add_tag (self, "quote", "left-margin", 14, "style", PANGO_STYLE_ITALIC, NULL);
  for (guint i = 0; i < MAX_INDENT; i++)
    {
      g_autofree char *name = g_strdup_printf ("indent-%u", i + 1);

      /* The bullet hangs left of the item's text. */
      add_tag (self, name, "left-margin", 18 * (int) (i + 1), "indent", -14, NULL);
      self->indent_tags[i] = gtk_text_tag_table_lookup (self->tags, name);
    }
  add_tag (self, "em", "style", PANGO_STYLE_ITALIC, NULL);
  add_tag (self, "strong", "weight", PANGO_WEIGHT_BOLD, NULL);
  add_tag (self, "del", "strikethrough", TRUE, NULL);
  add_tag (self, "underline", "underline", PANGO_UNDERLINE_SINGLE, NULL);
  add_tag (self, "code", "family", "monospace", "background-rgba", &code_background, NULL);
  add_tag (self, "link", "underline", PANGO_UNDERLINE_SINGLE, NULL);
  self->link_tag = gtk_text_tag_table_lookup (self->tags, "link");
}

static void
sy_markdown_view_dispose (GObject *object)
{
  SyMarkdownView *self = SY_MARKDOWN_VIEW (object);

  g_clear_handle_id (&self->resize_id, g_source_remove);
  if (self->segments != NULL)
    g_ptr_array_set_size (self->segments, 0);

  G_OBJECT_CLASS (sy_markdown_view_parent_class)->dispose (object);
}

static void
sy_markdown_view_finalize (GObject *object)
{
  SyMarkdownView *self = SY_MARKDOWN_VIEW (object);

  g_clear_pointer (&self->segments, g_ptr_array_unref);
  g_clear_object (&self->tags);
  g_string_free (self->text, TRUE);
  g_string_free (self->tail_code, TRUE);

  G_OBJECT_CLASS (sy_markdown_view_parent_class)->finalize (object);
}

static void
sy_markdown_view_class_init (SyMarkdownViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sy_markdown_view_dispose;
  object_class->finalize = sy_markdown_view_finalize;

  gtk_source_init ();
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "markdownview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
sy_markdown_view_init (SyMarkdownView *self)
{
  GtkLayoutManager *layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));

  gtk_orientable_set_orientation (GTK_ORIENTABLE (layout), GTK_ORIENTATION_VERTICAL);
  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (layout), 6);

  self->tags = gtk_text_tag_table_new ();
  self->segments = g_ptr_array_new_with_free_func ((GDestroyNotify) segment_free);
  self->text = g_string_new (NULL);
  self->tail_code = g_string_new (NULL);
  self->tail_offset = -1;
  create_tags (self);

  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark",
                           G_CALLBACK (style_changed), self, G_CONNECT_SWAPPED);
  style_changed (self);
}

GtkWidget *
sy_markdown_view_new (void)
{
  return g_object_new (SY_TYPE_MARKDOWN_VIEW, NULL);
}
