export type TemplateErrorCode =
  /** No such template id. */
  | 'not_found'
  /** Bad front matter, bad include, unreadable file. */
  | 'format'
  /** MJML errors (unknown element, illegal attribute, unbalanced tags). */
  | 'mjml'
  /** Handlebars syntax, or a construct the engine does not allow (helpers, partials, `{{{raw}}}`). */
  | 'syntax'
  /** A variable that is not in the template's declared contract (or not in the schema at all). */
  | 'unknown_variable'
  /** Render-time: the variables do not match the schema, or a required variable is missing. */
  | 'invalid_vars';

export interface SourceLocation {
  /** Path relative to the templates directory, e.g. `emails/welcome.mjml`. */
  file: string;
  /** 1-based line in that file. */
  line: number;
}

/** Any problem with a template: at load (with the file and line) or at render (bad variables). */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
  constructor(
    readonly code: TemplateErrorCode,
    readonly templateId: string,
    readonly detail: string,
    readonly location?: SourceLocation,
  ) {
    super(
      `template '${templateId}'${location ? ` (${location.file}, line ${location.line})` : ''}: ${detail}`,
    );
  }
}
