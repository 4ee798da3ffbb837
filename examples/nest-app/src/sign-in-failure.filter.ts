import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { escapeHtml, page } from './pages';
import { SignInFailedException } from './sign-in.guard';

/** Renders a failed sign-in as a page naming the reason, instead of a bare 401. */
@Catch(SignInFailedException)
export class SignInFailureFilter implements ExceptionFilter {
  catch(exception: SignInFailedException, host: ArgumentsHost): void {
    const { failure } = exception;
    host
      .switchToHttp()
      .getResponse<Response>()
      .status(failure.status)
      .type('html')
      .send(
        page(
          failure.title,
          `<div class="error" data-reason="${escapeHtml(failure.reason)}"><p>${escapeHtml(failure.explanation)}</p></div>
<p><a class="button" href="/auth/acton">Sign in with Act-On</a></p>`,
        ),
      );
  }
}
