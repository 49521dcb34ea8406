import '../../../../portal/ui/src/styles/global.css';
import './repl-toolbar.js';
