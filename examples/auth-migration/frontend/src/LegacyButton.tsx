import React from 'react';

interface Props {
  label: string;
  onClick: () => void;
}

export function LegacyButton({ label, onClick }: Props): JSX.Element {
  return <button onClick={onClick}>{label}</button>;
}
