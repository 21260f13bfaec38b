import React from 'react';
import { useAuth0 } from '@auth0/auth0-react';
import { LegacyButton } from './LegacyButton';

export function Login(): JSX.Element {
  const { loginWithRedirect } = useAuth0();
  return <LegacyButton onClick={() => loginWithRedirect()} label="Sign in" />;
}
