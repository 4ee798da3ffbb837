import { Injectable } from '@nestjs/common';
import { PassportSerializer } from '@nestjs/passport';
import type { SignedInUser } from './signed-in-user';

/** The session stores the signed-in user's summary as is: it holds no token. */
@Injectable()
export class SessionSerializer extends PassportSerializer {
  serializeUser(user: SignedInUser, done: (error: Error | null, user: SignedInUser) => void): void {
    done(null, user);
  }

  deserializeUser(user: SignedInUser, done: (error: Error | null, user: SignedInUser) => void): void {
    done(null, user);
  }
}
