from etl_core.cli.app import main

main()
