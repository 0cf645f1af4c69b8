from mlestar_lab.cli.main import main

raise SystemExit(main())
