// The home window: the portal's global styles and tokens, then the root element.
import '../../../../portal/ui/src/styles/global.css';
import './desktop-home.js';
