// The five sample workspaces of ../samples, imported as text so there is one source for the CLI,
// its tests and the canvas's templates (and so the UI tests can compare bytes).

import welcome from '../../../samples/welcome.json?raw';
import activation from '../../../samples/activation.json?raw';
import winback from '../../../samples/winback.json?raw';
import cartRecovery from '../../../samples/cart_recovery.json?raw';
import vipUpgrade from '../../../samples/vip_upgrade.json?raw';

export interface Template {
  id: string;
  file: string;
  text: string;
}

export const TEMPLATES: Template[] = [
  { id: 'welcome', file: 'welcome.json', text: welcome },
  { id: 'activation', file: 'activation.json', text: activation },
  { id: 'winback', file: 'winback.json', text: winback },
  { id: 'cart_recovery', file: 'cart_recovery.json', text: cartRecovery },
  { id: 'vip_upgrade', file: 'vip_upgrade.json', text: vipUpgrade },
];
