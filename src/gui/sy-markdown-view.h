/* sy-markdown-view.h — Markdown shown as rich text (md4c), code blocks in GtkSourceView.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define SY_TYPE_MARKDOWN_VIEW (sy_markdown_view_get_type ())
G_DECLARE_FINAL_TYPE (SyMarkdownView, sy_markdown_view, SY, MARKDOWN_VIEW, GtkWidget)

GtkWidget  *sy_markdown_view_new        (void);

/* Shows @markdown. When it extends the text shown (an answer streaming in), the
 * blocks that can no longer change stay as they are and only the rest is
 * rendered again; a code block still open grows in place. */
void        sy_markdown_view_set_text   (SyMarkdownView *self,
                                         const char     *markdown);
const char *sy_markdown_view_get_text   (SyMarkdownView *self);

/* The text as shown, blocks separated by newlines (for tests and copying). */
char       *sy_markdown_view_dup_shown_text (SyMarkdownView *self);

G_END_DECLS
