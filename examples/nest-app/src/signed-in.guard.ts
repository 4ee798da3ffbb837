import {
  Catch,
  HttpException,
  HttpStatus,
  Injectable,
  type ArgumentsHost,
  type CanActivate,
  type ExceptionFilter,
  type ExecutionContext,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { page } from './pages';

/** Thrown when a page needs a signed-in person. */
export class NotSignedInException extends HttpException {
  constructor() {
    super('Sign in first', HttpStatus.UNAUTHORIZED);
  }
}

/** Lets signed-in people through. */
@Injectable()
export class SignedInGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.switchToHttp().getRequest<Request>().isAuthenticated()) return true;
    throw new NotSignedInException();
  }
}

/** Offers the sign-in button instead of a JSON 401. */
@Catch(NotSignedInException)
export class NotSignedInFilter implements ExceptionFilter {
  catch(_exception: NotSignedInException, host: ArgumentsHost): void {
    host
      .switchToHttp()
      .getResponse<Response>()
      .status(HttpStatus.UNAUTHORIZED)
      .type('html')
      .send(page('Sign in first', '<p><a class="button" href="/auth/acton">Sign in with Act-On</a></p>'));
  }
}
