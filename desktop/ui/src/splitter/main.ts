import '../../../../portal/ui/src/styles/global.css';
import './splitter-handle.js';
